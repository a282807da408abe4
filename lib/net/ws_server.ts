/**
 * The WebSocket layer of a listen stack: the upgrade as V2Ray 4.34 answers it (exact path, else a
 * bare 404; gorilla's checks; its 101), early data in Xray's form always and V2Fly's when
 * configured, and X-Forwarded-For's first entry as the source (from every peer, as 4.34 does, or
 * only from the proxies sockopt.trustedXForwardedFor lists).
 */
import { cidrContains, ipBytes, parseCidr } from "../core/cidr.ts";
import type { Cidr } from "../core/cidr.ts";
import type { SourceAddress } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import type { WsStreamSettings } from "../config/mod.ts";
import { DEFAULT_MAX_REQUEST_HEAD, serverHandshake, type WsServerOptions } from "../ws/mod.ts";
import { readHead } from "./head_reader.ts";
import type { OpenedStream } from "./listen_stack.ts";
import { WsStream } from "./ws_stream.ts";

/** Who may tell us the client's address in X-Forwarded-For. */
export type ForwardedForTrust = readonly Cidr[] | null;

/** The trust list from sockopt.trustedXForwardedFor (null: every peer, as 4.34). */
export function forwardedForTrust(list: readonly string[] | null): ForwardedForTrust {
  if (list === null) return null;
  return list.map((s) => parseCidr(s)).filter((c): c is Cidr => c !== null);
}

function trusted(trust: ForwardedForTrust, source: SourceAddress): boolean {
  if (trust === null) return true;
  const ip = ipBytes(source.address);
  return ip !== null && trust.some((c) => cidrContains(c, ip));
}

/** What the server side needs. */
export interface WsServerLayerOptions {
  /** The inbound's wsSettings. */
  readonly ws: WsStreamSettings;
  /** Whose X-Forwarded-For is believed. */
  readonly trust: ForwardedForTrust;
  /** Keep-alive ping interval, ms (default: WsStream's). */
  readonly pingMs?: number;
}

/**
 * Reads the upgrade request from `stream` (whose client is `source` so far) and answers it. A
 * refusal (404, 400, …) is written and then thrown as the handshake's ProtocolError.
 */
export async function acceptWebSocket(
  stream: ByteStream,
  source: SourceAddress,
  opts: WsServerLayerOptions,
): Promise<OpenedStream> {
  const serverOpts: WsServerOptions = {
    path: opts.ws.path,
    maxEarlyData: opts.ws.maxEarlyData,
    earlyDataHeaderName: opts.ws.earlyDataHeaderName,
  };
  const { value: hs, buffered } = await readHead(
    stream,
    (b) => serverHandshake(b, serverOpts, new Date()),
    DEFAULT_MAX_REQUEST_HEAD,
    "ws-handshake",
  );
  if (hs.kind === "reject") {
    await stream.write(hs.reply).catch(() => {});
    throw hs.error;
  }
  await stream.write(hs.reply);
  const forwarded = hs.forwardedFor !== null && trusted(opts.trust, source)
    ? { address: hs.forwardedFor, port: 0 }
    : source;
  return {
    stream: new WsStream(stream, {
      role: "server",
      head: buffered.subarray(hs.used),
      earlyData: hs.earlyData,
      pingMs: opts.pingMs,
    }),
    source: forwarded,
  };
}
