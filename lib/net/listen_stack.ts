/**
 * The listen side of a transport: how an inbound binds a port and turns each accepted socket into
 * the byte stream its protocol reads (layers such as PROXY protocol, TLS or WebSocket stack here).
 */
import type { SourceAddress } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import { TcpStream } from "./tcp.ts";

/** What a listen stack makes of an accepted socket: the stream after every layer, and its client. */
export interface OpenedStream {
  /** The client's bytes, after every layer of the listen stack. */
  readonly stream: ByteStream;
  /** The client: the socket's peer, or what a layer (PROXY protocol, X-Forwarded-For) says. */
  readonly source: SourceAddress;
}

/** One connection as an inbound protocol sees it. */
export interface InboundConnection extends OpenedStream {
  /**
   * The protocol's handshake is done (the client authenticated, the request is read): from now on
   * the connection is not shed to make room for new ones.
   */
  established(): void;
}

/** Binds ports and opens accepted sockets for one inbound. */
export interface ListenStack {
  /** Binds `hostname:port` (0 picks a free port). */
  listen(hostname: string, port: number): Deno.Listener;
  /** Runs the layers on an accepted socket; rejects (the caller closes the socket) on bad input. */
  open(conn: Deno.Conn): Promise<OpenedStream>;
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
