/**
 * V2Ray 4.34's TCP HTTP header on the wire (transport/internet/headers/http): the client sends a
 * fake request head before its first write and skips the server's response head; the server reads
 * and checks the request head, sends a fake response head before its first write, and answers a
 * bad head with a canned 400 or 404 as it closes. Pure: randomness and time are passed in.
 */
import { ProtocolError } from "../core/errors.ts";
import {
  findHeadEnd,
  httpDate,
  latin1Bytes,
  parseRequestHead,
  type RequestHead,
  requestLineError,
} from "../http/mod.ts";
import type { HttpHeaderField, HttpHeaderSettings, HttpResponseSettings } from "./config.ts";

/** A random index in [0, n): the caller's randomness (n ≥ 2). */
export type PickIndex = (n: number) => number;

/** 4.34's bound on the request head it reads (and on the response head its client skips). */
export const MAX_HEAD_BYTES = 8192;

function pick(values: readonly string[], random: PickIndex): string {
  if (values.length === 0) return "";
  if (values.length === 1) return values[0];
  return values[random(values.length)];
}

function lines(headers: readonly HttpHeaderField[], random: PickIndex): string {
  return headers.map((h) => `${h.name}: ${pick(h.values, random)}\r\n`).join("");
}

/** The client's fake request head: `METHOD path HTTP/v`, one value per header, blank line. */
export function requestHead(settings: HttpHeaderSettings, random: PickIndex): Uint8Array {
  const r = settings.request;
  return latin1Bytes(
    `${r.method} ${pick(r.paths, random)} HTTP/${r.version}\r\n${lines(r.headers, random)}\r\n`,
  );
}

function response(r: HttpResponseSettings, random: PickIndex, now: Date): Uint8Array {
  const hasDate = r.headers.some((h) => h.name.toLowerCase() === "date");
  return latin1Bytes(
    `HTTP/${r.version} ${r.status} ${r.reason}\r\n${lines(r.headers, random)}` +
      (hasDate ? "" : `Date: ${httpDate(now)}\r\n`) + "\r\n",
  );
}

/** The server's fake response head (a Date is added unless one is configured). */
export function responseHead(
  settings: HttpHeaderSettings,
  random: PickIndex,
  now: Date,
): Uint8Array {
  return response(settings.response, random, now);
}

const CANNED: readonly HttpHeaderField[] = [
  { name: "Connection", values: ["close"] },
  { name: "Cache-Control", values: ["private"] },
  { name: "Content-Length", values: ["0"] },
];

/** 4.34's canned 400 (bad or too long head) or 404 (path not configured), sent as it closes. */
export function errorResponse(status: 400 | 404, now: Date): Uint8Array {
  return response(
    {
      version: "1.1",
      status: String(status),
      reason: status === 400 ? "Bad Request" : "Not Found",
      headers: CANNED,
    },
    () => 0,
    now,
  );
}

/** The server read a valid head: the connection's data starts at `used`. */
export interface HttpHeaderAccepted {
  /** Discriminant. */
  readonly kind: "ok";
  /** Bytes of the request head. */
  readonly used: number;
  /** The parsed head. */
  readonly request: RequestHead;
}

/** The server refuses: write errorResponse(status) and close. */
export interface HttpHeaderRejected {
  /** Discriminant. */
  readonly kind: "reject";
  /** 400 (bad or too long head) or 404 (path not configured). */
  readonly status: 400 | 404;
  /** Why, for the log. */
  readonly error: ProtocolError;
}

/**
 * The server side: null while the head is incomplete, else accepted or rejected (never throws).
 * The head must parse as Go's readRequest parses one, end within MAX_HEAD_BYTES and name one of
 * the configured paths exactly (query ignored); method, version and headers are not checked.
 */
export function readRequestHead(
  buffered: Uint8Array,
  settings: HttpHeaderSettings,
): HttpHeaderAccepted | HttpHeaderRejected | null {
  const end = findHeadEnd(buffered.subarray(0, MAX_HEAD_BYTES));
  if (end < 0) {
    // Like 4.34, a bad request line is refused before the head is complete.
    const early = requestLineError(buffered.subarray(0, MAX_HEAD_BYTES), "http-header");
    if (early) return { kind: "reject", status: 400, error: early };
    if (buffered.length < MAX_HEAD_BYTES) return null;
    return {
      kind: "reject",
      status: 400,
      error: new ProtocolError("http-header", `request head over ${MAX_HEAD_BYTES} bytes`),
    };
  }
  let request: RequestHead;
  try {
    request = parseRequestHead(buffered.subarray(0, end), "http-header");
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { kind: "reject", status: 400, error: e };
  }
  if (!settings.request.paths.includes(request.path)) {
    return {
      kind: "reject",
      status: 404,
      error: new ProtocolError(
        "http-header",
        `path ${JSON.stringify(request.path)} not configured`,
      ),
    };
  }
  return { kind: "ok", used: end, request };
}

/**
 * The client side: how many bytes the server's response head takes (its end is the first blank
 * line), null while incomplete; throws ProtocolError "http-header" past MAX_HEAD_BYTES. The head
 * is not checked, as in 4.34.
 */
export function skipResponseHead(buffered: Uint8Array): number | null {
  const end = findHeadEnd(buffered.subarray(0, MAX_HEAD_BYTES));
  if (end >= 0) return end;
  if (buffered.length < MAX_HEAD_BYTES) return null;
  throw new ProtocolError("http-header", `response head over ${MAX_HEAD_BYTES} bytes`);
}
