/** HTTP proxy requests: parsing a request head and rewriting it for the origin server. */
import type { Destination } from "../core/destination.ts";
import { ProtocolError } from "../core/errors.ts";
import type { PrefixParser } from "./prefix_reader.ts";

/** A parsed request head. */
export interface HttpRequestHead {
  /** Method, e.g. CONNECT or GET. */
  readonly method: string;
  /** The request target as sent. */
  readonly target: string;
  /** HTTP/1.0 or HTTP/1.1. */
  readonly version: string;
  /** Header lines in order (name as sent, value trimmed). */
  readonly headers: readonly [string, string][];
}

const dec = new TextDecoder();

/** Parses a request head up to the blank line (at most 16 KiB, enforced by the reader). */
export const parseRequestHead: PrefixParser<HttpRequestHead> = (b) => {
  let end = -1;
  for (let i = 3; i < b.length; i++) {
    if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) return null;
  const lines = dec.decode(b.subarray(0, end - 4)).split("\r\n");
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0]);
  if (!m) throw new ProtocolError("bad-request", "not an HTTP/1.x request line");
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i <= 0) throw new ProtocolError("bad-request", "malformed header line");
    headers.push([l.slice(0, i), l.slice(i + 1).trim()]);
  }
  return { value: { method: m[1], target: m[2], version: m[3], headers }, used: end };
};

/** The value of header `name` (case-insensitive), or undefined. */
export function header(h: HttpRequestHead, name: string): string | undefined {
  const n = name.toLowerCase();
  return h.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

function splitHostPort(s: string, defaultPort: number): { address: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s\[\]]+)(?::(\d{1,5}))?$/.exec(s);
  if (!m) return null;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { address: m[1].replace(/^\[|\]$/g, ""), port };
}

/** Where a request goes: CONNECT authority, absolute URI, or (transparent) the Host header. */
export function requestDestination(
  h: HttpRequestHead,
  allowTransparent: boolean,
): Destination | null {
  if (h.method === "CONNECT") {
    const hp = splitHostPort(h.target, 443);
    return hp && { network: "tcp", ...hp };
  }
  if (/^http:\/\//i.test(h.target)) {
    const authority = h.target.slice(7).split(/[/?#]/)[0];
    const hp = splitHostPort(authority.split("@").pop()!, 80);
    return hp && { network: "tcp", ...hp };
  }
  if (allowTransparent && h.target.startsWith("/")) {
    const host = header(h, "host");
    const hp = host ? splitHostPort(host, 80) : null;
    return hp && { network: "tcp", ...hp };
  }
  return null;
}

const HOP_BY_HOP = new Set(["proxy-connection", "proxy-authorization", "keep-alive", "connection"]);

/** The head to send to the origin: origin-form target, proxy headers dropped, one request per connection. */
export function originRequestHead(h: HttpRequestHead): Uint8Array {
  let target = h.target;
  if (/^http:\/\//i.test(target)) {
    const rest = target.slice(7);
    const i = rest.search(/[/?#]/);
    target = i < 0 ? "/" : rest.slice(i).startsWith("/") ? rest.slice(i) : "/" + rest.slice(i);
  }
  const lines = [`${h.method} ${target} ${h.version}`];
  for (const [k, v] of h.headers) if (!HOP_BY_HOP.has(k.toLowerCase())) lines.push(`${k}: ${v}`);
  lines.push("Connection: close");
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
}
