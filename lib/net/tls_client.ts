/**
 * The client TLS layer. Over a direct TCP socket it uses `Deno.startTls` (rustls, the fastest);
 * over any other stream (a chained outbound), or when allowInsecure or disableSystemRoot ask for
 * what Deno's own TLS cannot do per connection, node:tls over a Duplex. Either way the server's
 * name is verified unless allowInsecure, and a failed handshake rejects the dial.
 */
import type tls from "node:tls";
import { isIPv4, isIPv6 } from "../core/destination.ts";
import { DenorayError } from "../core/errors.ts";
import type { ByteStream } from "../core/stream.ts";
import { TcpStream } from "./tcp.ts";

/** What a TLS client needs. */
export interface TlsClientOptions {
  /** SNI (not sent for an IP) and the name the certificate must carry. */
  readonly serverName: string;
  /** ALPN protocols offered. */
  readonly alpn: readonly string[];
  /** Extra trust anchors, PEM. */
  readonly caCerts: readonly string[];
  /** Skip certificate and name verification. */
  readonly allowInsecure: boolean;
  /** Trust only `caCerts`, not the system roots. */
  readonly disableSystemRoot: boolean;
  /** Largest read of a direct socket. */
  readonly bufferSize: number;
}

function handshakeError(name: string, e: unknown): DenorayError {
  return new DenorayError("tls-handshake", `TLS with ${name}: ${(e as Error)?.message ?? e}`, {
    cause: e,
  });
}

/** Starts TLS on `stream`; resolves with the encrypted stream once the handshake succeeded. */
export async function connectTls(stream: ByteStream, opts: TlsClientOptions): Promise<ByteStream> {
  if (stream instanceof TcpStream && !opts.allowInsecure && !opts.disableSystemRoot) {
    const raw = stream.detach() as Deno.TcpConn; // the TLS connection takes the socket over
    try {
      const conn = await Deno.startTls(raw, {
        hostname: opts.serverName,
        caCerts: [...opts.caCerts],
        alpnProtocols: [...opts.alpn],
      });
      const secured = new TcpStream(conn, opts.bufferSize);
      try {
        await conn.handshake();
      } catch (e) {
        secured.close();
        throw e;
      }
      return secured;
    } catch (e) {
      try {
        raw.close();
      } catch {
        // Taken over by startTls, and closed with the TLS connection.
      }
      throw handshakeError(opts.serverName, e);
    }
  }
  return await nodeTls(stream, opts);
}

async function nodeTls(stream: ByteStream, opts: TlsClientOptions): Promise<ByteStream> {
  // node:tls, and Deno's Node layer with it (~5 MiB of a process's memory), is loaded only by a
  // process that runs TLS over a stream.
  const [{ default: tls }, { duplexOf, NodeSocketStream, nodeTlsHandshake }] = await Promise.all([
    import("node:tls"),
    import("./node_stream.ts"),
  ]);
  const ip = isIPv4(opts.serverName) || isIPv6(opts.serverName);
  // node's `ca` replaces the system roots: keep them unless disableSystemRoot.
  const ca = opts.disableSystemRoot
    ? [...opts.caCerts]
    : opts.caCerts.length > 0
    ? [...tls.rootCertificates, ...opts.caCerts]
    : undefined;
  const socket = tls.connect({
    socket: duplexOf(stream),
    host: opts.serverName,
    ...(ip ? {} : { servername: opts.serverName }),
    ...(ca ? { ca } : {}),
    rejectUnauthorized: !opts.allowInsecure,
    ALPNProtocols: [...opts.alpn],
    // Half-close survives TLS (node reads it; its typings leave it out).
    allowHalfOpen: true,
  } as tls.ConnectionOptions);
  const wrapped = new NodeSocketStream(socket);
  try {
    await nodeTlsHandshake(socket, "secureConnect");
  } catch (e) {
    wrapped.close();
    throw handshakeError(opts.serverName, e);
  }
  return wrapped;
}
