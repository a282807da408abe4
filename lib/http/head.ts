/**
 * HTTP/1.x heads as Go's net/http reads and writes them (what V2Ray 4.34's WebSocket and TCP
 * HTTP-header transports sit on): find the end, parse a request or status line and its fields,
 * serialize. Bytes are read one char per byte (latin1), so nothing is lost or reinterpreted.
 */
import { ProtocolError } from "../core/errors.ts";

/** Header fields in order: name as sent, value with surrounding blanks removed. */
export type HeaderFields = readonly (readonly [string, string])[];

/** A parsed request head. */
export interface RequestHead {
  /** The method, e.g. GET. */
  readonly method: string;
  /** The request target as sent (Go's RequestURI), e.g. `/ws?ed=1`. */
  readonly target: string;
  /** The target's path, percent-decoded (Go's URL.Path); the query is not part of it. */
  readonly path: string;
  /** The query after `?`, raw, or "" when there is none. */
  readonly query: string;
  /** The protocol version, e.g. HTTP/1.1. */
  readonly version: string;
  /** The header fields in order. */
  readonly headers: HeaderFields;
}

/** A parsed response head. */
export interface ResponseHead {
  /** The protocol version, e.g. HTTP/1.1. */
  readonly version: string;
  /** The status code. */
  readonly status: number;
  /** The reason phrase (may be empty). */
  readonly reason: string;
  /** The header fields in order. */
  readonly headers: HeaderFields;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VERSION = /^HTTP\/(\d{1,7})\.(\d{1,7})$/;

/** The index just past the first CRLF CRLF at or after `from - 3`, or -1 when there is none yet. */
export function findHeadEnd(b: Uint8Array, from = 0): number {
  for (let i = Math.max(3, from); i < b.length; i++) {
    if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** One char per byte. */
export function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

/** The bytes of a string of chars below 256 (one byte per char). */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

function bad(code: string, message: string): ProtocolError {
  return new ProtocolError(code, message);
}

// Splits a complete head (CRLF CRLF included) into its first line and fields.
function splitLines(
  head: Uint8Array,
  code: string,
): { first: string; headers: [string, string][] } {
  const text = latin1(head);
  if (!text.endsWith("\r\n\r\n")) throw bad(code, "the head does not end with a blank line");
  const lines = text.slice(0, -4).split("\r\n");
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    const name = line.slice(0, i);
    // No folded lines, no blank before the colon, no stray control bytes (Go's textproto refuses them).
    if (i <= 0 || !TOKEN.test(name)) throw bad(code, "malformed header line");
    const value = line.slice(i + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (hasControl(value)) throw bad(code, "control character in a header value");
    headers.push([name, value]);
  }
  if (hasControl(lines[0])) throw bad(code, "control character in the first line");
  return { first: lines[0], headers };
}

function percentDecode(s: string, code: string): string {
  if (!s.includes("%")) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x25) {
      bytes.push(c);
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw bad(code, "bad percent escape in the request target");
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  // Go compares bytes; a string of one char per byte keeps that exact.
  return String.fromCharCode(...bytes);
}

/**
 * Parses a request head (CRLF CRLF included) as Go's net/http reads it: `METHOD SP target SP
 * HTTP/x.y`, a token method, an origin-form (`/…`), absolute-form (`http://host/…`) or `*`
 * target, token field names. Throws ProtocolError `code` when malformed.
 */
export function parseRequestHead(head: Uint8Array, code = "bad-http-request"): RequestHead {
  const { first, headers } = splitLines(head, code);
  const sp1 = first.indexOf(" ");
  const sp2 = sp1 < 0 ? -1 : first.indexOf(" ", sp1 + 1);
  if (sp1 < 0 || sp2 < 0) throw bad(code, "malformed request line");
  const method = first.slice(0, sp1);
  const target = first.slice(sp1 + 1, sp2);
  const version = first.slice(sp2 + 1);
  if (!TOKEN.test(method)) throw bad(code, "malformed method");
  if (!VERSION.test(version)) throw bad(code, "malformed HTTP version");
  const q = target.indexOf("?");
  let rawPath = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? "" : target.slice(q + 1);
  const abs = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(rawPath);
  if (abs) rawPath = rawPath.slice(abs[0].length);
  else if (!rawPath.startsWith("/") && target !== "*") {
    throw bad(code, "the request target is not a path");
  }
  return { method, target, path: percentDecode(rawPath, code), query, version, headers };
}

/**
 * Whether an incomplete request head already shows a bad request line (Go reads line by line and
 * refuses at once): the ProtocolError `code`, or null when the line is fine or not complete yet.
 */
export function requestLineError(b: Uint8Array, code = "bad-http-request"): ProtocolError | null {
  let cr = -1;
  for (let i = 1; i < b.length; i++) {
    if (b[i] === 10 && b[i - 1] === 13) {
      cr = i - 1;
      break;
    }
  }
  if (cr < 0) return null;
  try {
    parseRequestHead(latin1Bytes(latin1(b.subarray(0, cr)) + "\r\n\r\n"), code);
    return null;
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
}

/** Parses a response head (CRLF CRLF included): `HTTP/x.y SP code [SP reason]`; throws ProtocolError. */
export function parseResponseHead(head: Uint8Array, code = "bad-http-response"): ResponseHead {
  const { first, headers } = splitLines(head, code);
  const m = /^(HTTP\/\d{1,7}\.\d{1,7}) (\d{3})(?: (.*))?$/.exec(first);
  if (!m) throw bad(code, "malformed status line");
  return { version: m[1], status: Number(m[2]), reason: m[3] ?? "", headers };
}

/** The value of the first field `name` (case-insensitive), or undefined (Go's Header.Get). */
export function headerValue(headers: HeaderFields, name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** Every value of field `name` (case-insensitive), in order. */
export function headerValues(headers: HeaderFields, name: string): string[] {
  const n = name.toLowerCase();
  return headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

/**
 * Whether any `name` field holds `token` in its comma-separated token list, ASCII
 * case-insensitive; a field whose list is malformed is skipped from that point (gorilla's
 * tokenListContainsValue).
 */
export function tokenListContains(headers: HeaderFields, name: string, token: string): boolean {
  const want = token.toLowerCase();
  for (const v of headerValues(headers, name)) {
    for (const item of v.split(",")) {
      const t = item.replace(/^[ \t]+|[ \t]+$/g, "");
      if (t === "" || !TOKEN.test(t)) break;
      if (t.toLowerCase() === want) return true;
    }
  }
  return false;
}

/**
 * Go's CanonicalMIMEHeaderKey: upper case at the start and after each `-`, lower case elsewhere;
 * a name with a byte that is not a token char is left as it is.
 */
export function canonicalHeaderName(name: string): string {
  if (!TOKEN.test(name)) return name;
  let up = true;
  let out = "";
  for (const ch of name) {
    out += up ? ch.toUpperCase() : ch.toLowerCase();
    up = ch === "-";
  }
  return out;
}

/** An HTTP date as Go's http.TimeFormat writes it (`Mon, 02 Jan 2006 15:04:05 GMT`). */
export function httpDate(when: Date): string {
  return when.toUTCString();
}

/** The bytes of a head: first line, fields, blank line (one byte per char). */
export function encodeHead(first: string, headers: HeaderFields): Uint8Array {
  let s = first + "\r\n";
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`;
  return latin1Bytes(s + "\r\n");
}
