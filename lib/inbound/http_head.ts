/** HTTP/1.x heads: splitting start line and fields, hop-by-hop fields, serializing; bytes kept as sent. */
import { ProtocolError } from "../core/errors.ts";

/** Header fields in order: name as sent, value trimmed. */
export type HeaderLines = readonly (readonly [string, string])[];

/** A head split into its start line and fields, and how many bytes it took (blank line included). */
export interface SplitHead {
  /** The request or status line. */
  readonly start: string;
  /** The header fields. */
  readonly headers: [string, string][];
  /** Bytes of the head. */
  readonly used: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Whether `s` holds a control character other than tab (field values may hold any other byte). */
export function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

// One char per byte, so serializing gives back exactly the bytes that came in.
function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

/**
 * Splits a head ending in a blank line; null until it is in `b`, ProtocolError `code` if
 * malformed. Lines may end in CRLF or a bare LF (as Go's net/http, and so V2Ray, reads them).
 */
export function splitHead(b: Uint8Array, code: string): SplitHead | null {
  let end = -1;
  for (let i = b.indexOf(10), lineStart = 0; i >= 0; lineStart = i + 1, i = b.indexOf(10, i + 1)) {
    const length = i - lineStart - (i > lineStart && b[i - 1] === 13 ? 1 : 0);
    if (length === 0 && lineStart > 0) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) return null;
  const lines = latin1(b.subarray(0, end)).split("\n").slice(0, -2)
    .map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    const name = l.slice(0, i), value = l.slice(i + 1).trim();
    // No folded lines, no space before the colon, no stray CR/LF/NUL: each would let hops disagree.
    if (i <= 0 || !TOKEN.test(name) || hasControl(value)) {
      throw new ProtocolError(code, "malformed header line");
    }
    headers.push([name, value]);
  }
  return { start: lines[0], headers, used: end };
}

/** The value of the first header `name` (case-insensitive), or undefined. */
export function headerValue(headers: HeaderLines, name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** Lower-cased options of the Connection and Proxy-Connection headers (e.g. close, keep-alive). */
export function connectionTokens(headers: HeaderLines): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of headers) {
    const n = k.toLowerCase();
    if (n !== "connection" && n !== "proxy-connection") continue;
    for (const t of v.split(",")) if (t.trim() !== "") out.add(t.trim().toLowerCase());
  }
  return out;
}

const HOP_BY_HOP = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "upgrade",
]);
// Framing and routing fields stay even if Connection names them, or the hops would frame differently.
const KEPT = new Set(["content-length", "transfer-encoding", "host"]);

/** The fields without hop-by-hop ones: the fixed set plus whatever Connection names. */
export function endToEndHeaders(headers: HeaderLines): [string, string][] {
  const named = connectionTokens(headers);
  return headers.filter(([k]) => {
    const n = k.toLowerCase();
    return !HOP_BY_HOP.has(n) && (KEPT.has(n) || !named.has(n));
  }).map(([k, v]) => [k, v]);
}

/** The bytes of a head: start line, fields, blank line. */
export function serializeHead(start: string, headers: HeaderLines): Uint8Array {
  let s = start + "\r\n";
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`;
  s += "\r\n";
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
