/**
 * The dial side of a transport: the layers an outbound's streamSettings ask for, run over the
 * stream its NetDialer opens (a direct TCP socket or a chained outbound's stream), in 4.34's order:
 * TLS → WebSocket or the TCP HTTP header.
 */
import type { StreamSettings } from "../config/mod.ts";
import type { ByteStream } from "../core/stream.ts";
import { defaultHost } from "../ws/mod.ts";
import type { NetDialer } from "./dialer.ts";
import { HttpHeaderClientStream } from "./http_header_layer.ts";
import { connectTls } from "./tls_client.ts";
import { clientAlpn, trustAnchors } from "./tls_settings.ts";
import { connectWebSocket } from "./ws_client.ts";

/** Knobs of a dial stack beyond its stream settings. */
export interface DialStackOptions {
  /** WebSocket keep-alive ping interval, ms (default: WsStream's). */
  readonly wsPingMs?: number;
}

/**
 * `inner` with the layers of `s` on every stream it opens (plain TCP: `inner` itself). TLS names
 * the server tlsSettings.serverName, else the address dialled (no SNI for an IP); WebSocket's Host
 * is the address dialled unless wsSettings.headers set one. Datagrams pass through untouched.
 */
export function layeredDialer(
  inner: NetDialer,
  s: StreamSettings,
  opts: DialStackOptions = {},
): NetDialer {
  if (s.network === "tcp" && !s.httpHeader && !s.tls) return inner;
  const tls = s.tls;
  const caCerts = tls ? trustAnchors(tls) : [];
  const dialer: NetDialer = {
    async dialStream(session, address, port, bufferSize): Promise<ByteStream> {
      let stream = await inner.dialStream(session, address, port, bufferSize);
      try {
        if (tls) {
          stream = await connectTls(stream, {
            serverName: tls.serverName ?? address,
            alpn: clientAlpn(tls, s.network),
            caCerts,
            allowInsecure: tls.allowInsecure,
            disableSystemRoot: tls.disableSystemRoot,
            bufferSize,
          });
        }
        if (s.network === "ws") {
          stream = await connectWebSocket(stream, {
            ws: s,
            host: defaultHost(address, port, tls !== null),
            pingMs: opts.wsPingMs,
          });
        } else if (s.httpHeader) {
          stream = new HttpHeaderClientStream(stream, s.httpHeader);
        }
      } catch (e) {
        stream.close();
        throw e;
      }
      return stream;
    },
  };
  if (inner.dialPacket) {
    const dialPacket = inner.dialPacket.bind(inner);
    return { ...dialer, dialPacket };
  }
  return dialer;
}
