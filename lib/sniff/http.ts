/**
 * HTTP/1 request sniffing: a request line starting with one of the methods V2Ray 4.34 knows, then
 * the Host header of the head. Only complete lines are read, so a split anywhere gives the same
 * answer once the Host line has arrived.
 */
import { addressFromName } from "../core/destination.ts";
import { NEED_MORE, NOT_THIS, type SniffVerdict } from "./verdict.ts";

// V2Ray 4.34's list, matched case-insensitively, each followed by a space.
const METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT"].map((m) => m + " ");

const LF = 0x0a, CR = 0x0d, COLON = 0x3a;

function upper(b: number): number {
  return b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
}

// "match": a method and its space start the bytes; "prefix": the bytes may still become one.
function methodState(bytes: Uint8Array): "match" | "prefix" | "no" {
  let prefix = false;
  for (const m of METHODS) {
    const n = Math.min(m.length, bytes.length);
    let i = 0;
    while (i < n && upper(bytes[i]) === m.charCodeAt(i)) i++;
    if (i === m.length) return "match";
    if (i === bytes.length) prefix = true;
  }
  return prefix ? "prefix" : "no";
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

// The address of a Host value ("name", "name:port", "[v6]:port"), or null if it is not one.
function hostAddress(value: string): string | null {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{0,5}))?$/.exec(value.trim().toLowerCase());
  if (!m || m[1] === "") return null;
  return addressFromName(m[1]);
}

/** Sniffs an HTTP/1 request head for its Host: found "http1" with the host, need more, or not HTTP. */
export function sniffHttp(bytes: Uint8Array): SniffVerdict {
  const method = methodState(bytes);
  if (method === "no") return NOT_THIS;
  if (method === "prefix") return NEED_MORE;
  let start = bytes.indexOf(LF);
  if (start < 0) return NEED_MORE;
  for (start++;;) {
    const end = bytes.indexOf(LF, start);
    if (end < 0) return NEED_MORE;
    const lineEnd = end > start && bytes[end - 1] === CR ? end - 1 : end;
    // The blank line ends the head: a request without Host carries no name to sniff.
    if (lineEnd === start) return NOT_THIS;
    const colon = bytes.indexOf(COLON, start);
    if (colon >= 0 && colon < lineEnd) {
      const name = latin1(bytes.subarray(start, colon)).toLowerCase();
      if (name === "host") {
        const domain = hostAddress(latin1(bytes.subarray(colon + 1, lineEnd)));
        // As 4.34: a Host that does not parse means this is not a request it can use.
        return domain === null ? NOT_THIS : { kind: "found", protocol: "http1", domain };
      }
    }
    start = end + 1;
  }
}
