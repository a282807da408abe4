/**
 * The listen side of a transport: how an inbound binds a port and turns each accepted socket into
 * the byte stream its protocol reads (layers such as PROXY protocol, TLS or WebSocket stack here).
 */
import type { SourceAddress } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import { TcpStream } from "./tcp.ts";

/** One connection as an inbound protocol sees it: the stream after every layer, and its client. */
export interface InboundConnection {
  /** The client's bytes, after every layer of the listen stack. */
  readonly stream: ByteStream;
  /** The client: the socket's peer, or what a layer (PROXY protocol, X-Forwarded-For) says. */
  readonly source: SourceAddress;
}

/** Binds ports and opens accepted sockets for one inbound. */
export interface ListenStack {
  /** Binds `hostname:port` (0 picks a free port). */
  listen(hostname: string, port: number): Deno.Listener;
  /** Runs the layers on an accepted socket; rejects (the caller closes the socket) on bad input. */
  open(conn: Deno.Conn): Promise<InboundConnection>;
}

/** The peer of an accepted socket. */
export function peerOf(conn: Deno.Conn): SourceAddress {
  const r = conn.remoteAddr as Deno.NetAddr;
  return { address: r.hostname, port: r.port };
}

/** Plain TCP: the socket itself, reads bounded by `bufferSize`. */
export function tcpListenStack(bufferSize: number): ListenStack {
  return {
    listen: (hostname, port) => Deno.listen({ hostname, port, transport: "tcp" }),
    open: (conn) =>
      Promise.resolve({ stream: new TcpStream(conn, bufferSize), source: peerOf(conn) }),
  };
}
