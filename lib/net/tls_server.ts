/**
 * The server TLS layer. On a plain TLS port the listener itself is `Deno.listenTls` (rustls, one
 * keypair) and the handshake runs when the connection is opened; when a PROXY header comes first,
 * TLS cannot start at accept, so node:tls serves it over the stream after the header.
 */
import type tls from "node:tls";
import { DenorayError } from "../core/errors.ts";
import type { ByteStream } from "../core/stream.ts";
import type { TlsServerIdentity } from "./tls_settings.ts";

/** What a TLS server needs: its keypair and the ALPN protocols it offers. */
export interface TlsServerOptions extends TlsServerIdentity {
  /** ALPN protocols in preference order. */
  readonly alpn: readonly string[];
}

/** A TLS listener on `hostname:port`; connections do their handshake when first used. */
export function listenTls(hostname: string, port: number, opts: TlsServerOptions): Deno.Listener {
  return Deno.listenTls({
    hostname,
    port,
    transport: "tcp",
    cert: opts.cert,
    key: opts.key,
    alpnProtocols: [...opts.alpn],
  });
}

function handshakeError(e: unknown): DenorayError {
  return new DenorayError("tls-handshake", `TLS handshake: ${(e as Error)?.message ?? e}`, {
    cause: e,
  });
}

/** Runs the server handshake of a connection accepted by listenTls. */
export async function tlsHandshake(conn: Deno.Conn): Promise<void> {
  try {
    await (conn as Deno.TlsConn).handshake();
  } catch (e) {
    throw handshakeError(e);
  }
}

/** Serves TLS over `stream` (node:tls); resolves with the decrypted stream once the handshake is done. */
export async function acceptTls(stream: ByteStream, opts: TlsServerOptions): Promise<ByteStream> {
  // node:tls, and Deno's Node layer with it (~5 MiB of a process's memory), is loaded only by a
  // process that runs TLS over a stream.
  const [{ default: tls }, { duplexOf, NodeSocketStream, nodeTlsHandshake }] = await Promise.all([
    import("node:tls"),
    import("./node_stream.ts"),
  ]);
  const socket = new tls.TLSSocket(duplexOf(stream), {
    isServer: true,
    cert: opts.cert,
    key: opts.key,
    ALPNProtocols: [...opts.alpn],
    // Half-close survives TLS: close_notify ends reading, writing may go on.
    allowHalfOpen: true,
  } as tls.TLSSocketOptions);
  const wrapped = new NodeSocketStream(socket);
  try {
    await nodeTlsHandshake(socket, "secure");
  } catch (e) {
    wrapped.close();
    throw handshakeError(e);
  }
  return wrapped;
}
