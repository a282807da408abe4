/**
 * The client side of the WebSocket handshake as V2Ray 4.34 sends it (dialer.go on gorilla 1.4.2
 * and Go's Request.Write), with early data as V2Fly and Xray send it. Pure: the caller passes the
 * random key and the first write, sends the request, buffers the reply and checks it.
 */
import { ProtocolError } from "../core/errors.ts";
import {
  canonicalHeaderName,
  encodeHead,
  findHeadEnd,
  headerValue,
  parseResponseHead,
  tokenListContains,
} from "../http/mod.ts";
import { acceptKey } from "./accept.ts";
import { base64RawUrl } from "./base64.ts";

/** Go's default User-Agent, which 4.34's dialer sends unless headers set one. */
export const GO_USER_AGENT = "Go-http-client/1.1";

/** What the client side needs from wsSettings and the dialled destination. */
export interface WsClientOptions {
  /** The request path, normalised (leading `/`), Xray's `ed` already taken out of its query. */
  readonly path: string;
  /** wsSettings.headers in config order; a `Host` entry (any case) sets the Host header. */
  readonly headers: readonly (readonly [string, string])[];
  /** Xray's `?ed=N`: the whole first write goes in Sec-WebSocket-Protocol if it is ≤ N (0: off). */
  readonly xrayEarlyData?: number;
  /** V2Fly's maxEarlyData: up to N bytes of the first write go in the path or header (0: off). */
  readonly maxEarlyData?: number;
  /** V2Fly's earlyDataHeaderName: with maxEarlyData, the early data goes in this header. */
  readonly earlyDataHeaderName?: string;
}

/** Names gorilla refuses in the request header (it sets them itself). */
export const RESERVED_HEADERS = [
  "Upgrade",
  "Connection",
  "Sec-Websocket-Key",
  "Sec-Websocket-Version",
  "Sec-Websocket-Extensions",
] as const;

/**
 * The Host header 4.34 sends without `headers.Host`: the dialled address, with the port left out
 * for ws on 80 and wss on 443; IPv6 in brackets.
 */
export function defaultHost(address: string, port: number, tls: boolean): string {
  const host = address.includes(":") ? `[${address}]` : address;
  return port === (tls ? 443 : 80) ? host : `${host}:${port}`;
}

/** Whether a client with these options waits for its first write before dialling (early data). */
export function wantsEarlyData(opts: WsClientOptions): boolean {
  return (opts.maxEarlyData ?? 0) > 0 || (opts.xrayEarlyData ?? 0) > 0;
}

/** A request to send and what of the first write it carries. */
export interface WsClientRequest {
  /** The request head bytes. */
  readonly bytes: Uint8Array;
  /** How many bytes of the first write the request carries; the rest goes in frames. */
  readonly carried: number;
}

// Go's URL.EscapedPath for the usual cases: bytes outside the path set are percent-encoded.
function escapePath(path: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(path)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]/.test(c)
      ? c
      : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * The upgrade request as 4.34 writes it: `GET path HTTP/1.1`, Host, User-Agent (Go's unless
 * headers set one), then the other fields sorted by name as Go does (gorilla's Upgrade,
 * Connection, Sec-WebSocket-Key, Sec-WebSocket-Version and the configured headers with Go's
 * canonical names). With early data enabled, `firstWrite` is what the caller's first write holds.
 * Throws RangeError for a configured header gorilla refuses (config validation prevents it).
 */
export function buildUpgradeRequest(
  opts: WsClientOptions,
  host: string,
  key: string,
  firstWrite: Uint8Array = new Uint8Array(0),
): WsClientRequest {
  let hostValue = host;
  let userAgent = GO_USER_AGENT;
  const fields = new Map<string, string>([
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Key", key],
    ["Sec-WebSocket-Version", "13"],
  ]);
  for (const [name, value] of opts.headers) {
    const k = canonicalHeaderName(name);
    if (k === "Host") hostValue = value;
    else if (k === "User-Agent") userAgent = value;
    else if ((RESERVED_HEADERS as readonly string[]).includes(k)) {
      throw new RangeError(`websocket: duplicate header not allowed: ${k}`);
    } else if (k === "Sec-Websocket-Protocol") fields.set("Sec-WebSocket-Protocol", value);
    else fields.set(k, value);
  }
  let path = opts.path;
  let carried = 0;
  const v2fly = opts.maxEarlyData ?? 0, xray = opts.xrayEarlyData ?? 0;
  if (v2fly > 0) {
    carried = Math.min(v2fly, firstWrite.length);
    const b64 = base64RawUrl(firstWrite.subarray(0, carried));
    if (opts.earlyDataHeaderName) {
      const k = canonicalHeaderName(opts.earlyDataHeaderName);
      fields.set(k === "Sec-Websocket-Protocol" ? "Sec-WebSocket-Protocol" : k, b64);
    } else path += b64;
  } else if (xray > 0 && firstWrite.length > 0 && firstWrite.length <= xray) {
    carried = firstWrite.length;
    fields.set("Sec-WebSocket-Protocol", base64RawUrl(firstWrite));
  }
  const sorted = [...fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = encodeHead(`GET ${escapePath(path)} HTTP/1.1`, [
    ["Host", hostValue],
    ...(userAgent === "" ? [] : [["User-Agent", userAgent] as const]),
    ...sorted,
  ]);
  return { bytes, carried };
}

/** Default bound on the response head. */
export const DEFAULT_MAX_RESPONSE_HEAD = 16 * 1024;

/** A checked 101: the frames start at `used`. */
export interface WsClientAccepted {
  /** Bytes of the response head; what follows (if any) is frames. */
  readonly used: number;
  /** The Sec-WebSocket-Protocol the server echoed, if any. */
  readonly protocol?: string;
}

/**
 * Checks the reply in `buffered`: null while the head is incomplete; else the head must be a 101
 * with `Upgrade: websocket`, a Connection holding `upgrade` and the right Sec-WebSocket-Accept.
 * Throws ProtocolError "ws-handshake" otherwise (naming the status for a refusal such as 404).
 */
export function checkUpgradeResponse(
  buffered: Uint8Array,
  key: string,
  maxHeadBytes = DEFAULT_MAX_RESPONSE_HEAD,
): WsClientAccepted | null {
  const end = findHeadEnd(buffered.subarray(0, maxHeadBytes));
  if (end < 0) {
    if (buffered.length < maxHeadBytes) return null;
    throw new ProtocolError("ws-handshake", `response head over ${maxHeadBytes} bytes`);
  }
  const res = parseResponseHead(buffered.subarray(0, end), "ws-handshake");
  if (res.status !== 101) {
    throw new ProtocolError(
      "ws-handshake",
      `the server answered ${res.status} ${res.reason} instead of 101`,
    );
  }
  const h = res.headers;
  if ((headerValue(h, "Upgrade") ?? "").toLowerCase() !== "websocket") {
    throw new ProtocolError("ws-handshake", "101 without Upgrade: websocket");
  }
  // gorilla wants exactly "upgrade"; a token list (e.g. "Upgrade, keep-alive") is taken too.
  if (!tokenListContains(h, "Connection", "upgrade")) {
    throw new ProtocolError("ws-handshake", "101 without Connection: upgrade");
  }
  if (headerValue(h, "Sec-WebSocket-Accept") !== acceptKey(key)) {
    throw new ProtocolError("ws-handshake", "101 with a wrong Sec-WebSocket-Accept");
  }
  const protocol = headerValue(h, "Sec-WebSocket-Protocol");
  return protocol === undefined ? { used: end } : { used: end, protocol };
}
