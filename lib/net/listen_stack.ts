/**
 * The listen side of a transport: how an inbound binds a port and turns each accepted socket into
 * the byte stream its protocol reads. buildListenStack composes the layers an inbound's
 * streamSettings ask for, in 4.34's order: TCP → PROXY protocol → TLS → WebSocket or the TCP HTTP
 * header.
 */
import type { StreamSettings } from "../config/mod.ts";
import type { SourceAddress } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import { acceptHttpHeader } from "./http_header_layer.ts";
import { readProxyProtocol } from "./proxy_protocol_layer.ts";
import { TcpStream } from "./tcp.ts";
import { acceptTls, listenTls, tlsHandshake, type TlsServerOptions } from "./tls_server.ts";
import { serverAlpn, serverIdentity } from "./tls_settings.ts";
import { acceptWebSocket, forwardedForTrust } from "./ws_server.ts";

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

/** Knobs of a built listen stack beyond its stream settings. */
export interface ListenStackOptions {
  /** Largest read of a socket (the inbound's policy bufferSize). */
  readonly bufferSize: number;
  /** WebSocket keep-alive ping interval, ms (default: WsStream's). */
  readonly wsPingMs?: number;
}

/**
 * The listen stack an inbound's streamSettings describe. TLS is `Deno.listenTls` unless a PROXY
 * header precedes it (then node:tls over the stream after the header). Every handshake runs in
 * open(), which the listener bounds in time; a bad one closes that connection only.
 */
export function buildListenStack(s: StreamSettings, opts: ListenStackOptions): ListenStack {
  const plain = s.network === "tcp" && !s.httpHeader && !s.tls && !s.acceptProxyProtocol;
  if (plain) return tcpListenStack(opts.bufferSize);
  const tls: TlsServerOptions | null = s.tls
    ? { ...serverIdentity(s.tls), alpn: serverAlpn(s.tls, s.network) }
    : null;
  const tlsAtAccept = tls !== null && !s.acceptProxyProtocol;
  const trust = forwardedForTrust(s.sockopt.trustedXForwardedFor);
  return {
    listen: (hostname, port) =>
      tlsAtAccept
        ? listenTls(hostname, port, tls)
        : Deno.listen({ hostname, port, transport: "tcp" }),
    async open(conn) {
      let source = peerOf(conn);
      if (tlsAtAccept) await tlsHandshake(conn);
      let stream: ByteStream = new TcpStream(conn, opts.bufferSize);
      try {
        if (s.acceptProxyProtocol) ({ stream, source } = await readProxyProtocol(stream, source));
        if (tls && !tlsAtAccept) stream = await acceptTls(stream, tls);
        if (s.network === "ws") {
          ({ stream, source } = await acceptWebSocket(stream, source, {
            ws: s,
            trust,
            pingMs: opts.wsPingMs,
          }));
        } else if (s.httpHeader) {
          stream = await acceptHttpHeader(stream, s.httpHeader);
        }
      } catch (e) {
        stream.close();
        throw e;
      }
      return { stream, source };
    },
  };
}
