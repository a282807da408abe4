/**
 * The server side of the WebSocket handshake as V2Ray 4.34 answers it (hub.go on gorilla 1.4.2),
 * plus early data as a superset: Xray's Sec-WebSocket-Protocol form always, V2Fly's path-suffix
 * and header forms when configured. Pure: the caller buffers bytes, passes the time, writes the
 * reply and, on "upgrade", feeds the bytes after `used` to a server FrameDecoder.
 */
import { formatIP } from "../core/destination.ts";
import { ipBytes } from "../core/cidr.ts";
import {
  encodeHead,
  findHeadEnd,
  type HeaderFields,
  headerValue,
  httpDate,
  latin1Bytes,
  parseRequestHead,
  type RequestHead,
  requestLineError,
  tokenListContains,
} from "../http/mod.ts";
import { ProtocolError } from "../core/errors.ts";
import { acceptKey } from "./accept.ts";
import { decodeBase64Lenient } from "./base64.ts";

/** What the server side needs from wsSettings. */
export interface WsServerOptions {
  /** The path to serve, matched exactly against the request's path (query ignored). */
  readonly path: string;
  /** V2Fly's maxEarlyData: above 0 (and no header name) the path-suffix form is accepted too. */
  readonly maxEarlyData?: number;
  /** V2Fly's earlyDataHeaderName: early data is read from this header. */
  readonly earlyDataHeaderName?: string;
  /** Largest request head accepted (default DEFAULT_MAX_REQUEST_HEAD); larger gets 431. */
  readonly maxHeadBytes?: number;
}

/**
 * Default bound on the request head. 4.34 allows 2048 + Go's 4096 of slack; Xray's early data
 * (up to 8 KiB, ~11 KiB of base64) needs more, so the superset takes 16 KiB.
 */
export const DEFAULT_MAX_REQUEST_HEAD = 16 * 1024;

/** The handshake succeeded: write `reply`, then speak frames. */
export interface WsUpgrade {
  /** Discriminant. */
  readonly kind: "upgrade";
  /** Bytes of the request head; what follows is frames. */
  readonly used: number;
  /** The 101 response to write. */
  readonly reply: Uint8Array;
  /** Early data carried by the request (empty when none), first in the upstream byte stream. */
  readonly earlyData: Uint8Array;
  /** X-Forwarded-For's first entry when it is an IP (4.34 makes it the source, port 0), else null. */
  readonly forwardedFor: string | null;
  /** The parsed request. */
  readonly request: RequestHead;
}

/** The handshake failed: write `reply` and close. */
export interface WsReject {
  /** Discriminant. */
  readonly kind: "reject";
  /** Bytes of the request head (all that was buffered when it could not be parsed). */
  readonly used: number;
  /** HTTP status sent. */
  readonly status: number;
  /** The response to write before closing. */
  readonly reply: Uint8Array;
  /** Why, for the log (the error carries a stable code). */
  readonly error: ProtocolError;
}

/** The outcome of a server handshake. */
export type WsServerHandshake = WsUpgrade | WsReject;

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
};

// Go's net/http when it cannot parse a request: a fixed text reply, then close.
function goParseError(status: number, used: number, error: ProtocolError): WsReject {
  const text = `${status} ${STATUS_TEXT[status]}`;
  const reply = latin1Bytes(
    `HTTP/1.1 ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${text}`,
  );
  return { kind: "reject", used, status, reply, error };
}

// gorilla's returnError through http.Error: handler fields sorted, then Date and Content-Length.
function gorillaError(status: number, used: number, reason: string, now: Date): WsReject {
  const body = STATUS_TEXT[status] + "\n";
  const head = encodeHead(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}`, [
    ["Content-Type", "text/plain; charset=utf-8"],
    ["Sec-Websocket-Version", "13"],
    ["X-Content-Type-Options", "nosniff"],
    ["Date", httpDate(now)],
    ["Content-Length", String(body.length)],
  ]);
  const reply = new Uint8Array(head.length + body.length);
  reply.set(head);
  reply.set(latin1Bytes(body), head.length);
  return { kind: "reject", used, status, reply, error: new ProtocolError("ws-handshake", reason) };
}

// 4.34's bare WriteHeader(404): no body.
function notFound(used: number, reason: string, now: Date): WsReject {
  const reply = encodeHead("HTTP/1.1 404 Not Found", [
    ["Date", httpDate(now)],
    ["Content-Length", "0"],
  ]);
  return {
    kind: "reject",
    used,
    status: 404,
    reply,
    error: new ProtocolError("ws-path", reason),
  };
}

/** The first X-Forwarded-For entry if it is an IP, as 4.34's ParseXForwardedFor reads it. */
export function forwardedForAddress(headers: HeaderFields): string | null {
  const xff = headerValue(headers, "X-Forwarded-For");
  if (xff === undefined || xff === "") return null;
  let first = xff.split(",")[0];
  if (first.startsWith("[") && first.endsWith("]")) first = first.slice(1, -1);
  const ip = ipBytes(first.trim());
  return ip ? formatIP(ip) : null;
}

/** The 101 reply exactly as 4.34 (gorilla) writes it, plus the echoed protocol when given. */
export function upgradeReply(key: string, protocol?: string): Uint8Array {
  const fields: [string, string][] = [
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Accept", acceptKey(key)],
  ];
  if (protocol !== undefined) fields.push(["Sec-WebSocket-Protocol", protocol]);
  return encodeHead("HTTP/1.1 101 Switching Protocols", fields);
}

// Where early data sits, decided by the path check.
type PathMatch = { ok: true; earlyData: Uint8Array | null } | { ok: false; reason: string };

function matchPath(req: RequestHead, opts: WsServerOptions): PathMatch {
  if (req.path === opts.path) {
    if (opts.earlyDataHeaderName) {
      const v = headerValue(req.headers, opts.earlyDataHeaderName);
      if (v === undefined || v === "") return { ok: true, earlyData: null };
      const ed = decodeBase64Lenient(v);
      return ed ? { ok: true, earlyData: ed } : {
        ok: false,
        reason: `${opts.earlyDataHeaderName} is not base64`,
      };
    }
    return { ok: true, earlyData: null };
  }
  // V2Fly's path form: the target starts with the path and the rest is base64url.
  if ((opts.maxEarlyData ?? 0) > 0 && !opts.earlyDataHeaderName) {
    const target = req.target.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, "");
    if (target.startsWith(opts.path)) {
      const ed = decodeBase64Lenient(target.slice(opts.path.length));
      if (ed) return { ok: true, earlyData: ed };
    }
  }
  return { ok: false, reason: `path ${JSON.stringify(req.path)} is not ${opts.path}` };
}

/**
 * Decides on the request head in `buffered` (bytes from the start of the connection): null while
 * the head is incomplete, else an upgrade or a reject. Never throws. Checks in 4.34's order: the
 * head parses (else Go's 400; too long: 431), the path (bare 404), then gorilla's: Connection has
 * `upgrade`, Upgrade has `websocket` (400), GET (405), version 13 (400), a key (400).
 */
export function serverHandshake(
  buffered: Uint8Array,
  opts: WsServerOptions,
  now: Date,
): WsServerHandshake | null {
  const limit = opts.maxHeadBytes ?? DEFAULT_MAX_REQUEST_HEAD;
  const end = findHeadEnd(buffered.length > limit ? buffered.subarray(0, limit) : buffered);
  if (end < 0) {
    // Go's server reads line by line: a bad request line is refused at once.
    const early = requestLineError(buffered.subarray(0, limit), "ws-handshake");
    if (early) return goParseError(400, buffered.length, early);
    if (buffered.length < limit) return null;
    return goParseError(
      431,
      buffered.length,
      new ProtocolError("ws-handshake", `request head over ${limit} bytes`),
    );
  }
  let req: RequestHead;
  try {
    req = parseRequestHead(buffered.subarray(0, end), "ws-handshake");
    // Go's server: an HTTP/1.1 request needs exactly one Host.
    const hosts = req.headers.filter(([k]) => k.toLowerCase() === "host").length;
    if (hosts > 1 || (hosts === 0 && req.version === "HTTP/1.1")) {
      throw new ProtocolError("ws-handshake", "missing or repeated Host header");
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return goParseError(400, end, e);
  }
  const match = matchPath(req, opts);
  if (!match.ok) return notFound(end, match.reason, now);
  const h = req.headers;
  const bad = "websocket: the client is not using the websocket protocol: ";
  if (!tokenListContains(h, "Connection", "upgrade")) {
    return gorillaError(400, end, bad + "'upgrade' token not found in 'Connection' header", now);
  }
  if (!tokenListContains(h, "Upgrade", "websocket")) {
    return gorillaError(400, end, bad + "'websocket' token not found in 'Upgrade' header", now);
  }
  if (req.method !== "GET") return gorillaError(405, end, bad + "request method is not GET", now);
  if (!tokenListContains(h, "Sec-WebSocket-Version", "13")) {
    return gorillaError(
      400,
      end,
      "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header",
      now,
    );
  }
  const key = headerValue(h, "Sec-WebSocket-Key") ?? "";
  if (key === "") {
    return gorillaError(
      400,
      end,
      "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header is missing or blank",
      now,
    );
  }
  let earlyData = match.earlyData;
  let echo: string | undefined;
  const protocol = headerValue(h, "Sec-WebSocket-Protocol");
  if (opts.earlyDataHeaderName?.toLowerCase() === "sec-websocket-protocol") {
    if (earlyData) echo = protocol;
  } else if (protocol !== undefined && protocol !== "") {
    // Xray's form, always on: the header decodes to non-empty bytes, and is echoed.
    const ed = decodeBase64Lenient(protocol);
    if (ed && ed.length > 0) {
      echo = protocol;
      earlyData = earlyData ? concat(earlyData, ed) : ed;
    }
  }
  return {
    kind: "upgrade",
    used: end,
    reply: upgradeReply(key, echo),
    earlyData: earlyData ?? new Uint8Array(0),
    forwardedFor: forwardedForAddress(h),
    request: req,
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
