/** HTTP proxy requests: parsing a request head, its destination, and rewriting it for the origin. */
import { addressFromName, type Destination } from "../core/destination.ts";
import { ProtocolError } from "../core/errors.ts";
import type { PrefixParser } from "./stream_reader.ts";
import {
  connectionTokens,
  endToEndHeaders,
  headerValue,
  serializeHead,
  splitHead,
} from "./http_head.ts";

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

/** Longest request head accepted. */
export const REQUEST_HEAD_LIMIT = 16 * 1024;

/** Parses a request head up to the blank line; ProtocolError "bad-request" if malformed. */
export const parseRequestHead: PrefixParser<HttpRequestHead> = (b) => {
  const h = splitHead(b, "bad-request");
  if (!h) return null;
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([!-~]+) (HTTP\/1\.[01])$/.exec(h.start);
  if (!m) throw new ProtocolError("bad-request", "not an HTTP/1.x request line");
  return { value: { method: m[1], target: m[2], version: m[3], headers: h.headers }, used: h.used };
};

/** The value of header `name` (case-insensitive), or undefined. */
export function header(h: HttpRequestHead, name: string): string | undefined {
  return headerValue(h.headers, name);
}

/** Whether the client lets its connection persist: HTTP/1.1 unless "close", HTTP/1.0 if "keep-alive". */
export function clientKeepAlive(h: HttpRequestHead): boolean {
  const t = connectionTokens(h.headers);
  if (t.has("close")) return false;
  return h.version === "HTTP/1.1" || t.has("keep-alive");
}

function splitHostPort(s: string, defaultPort: number): { address: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s\[\]]+)(?::(\d{1,5}))?$/.exec(s);
  if (!m) return null;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) return null;
  const address = addressFromName(m[1]);
  return address === null ? null : { address, port };
}

// The authority of an absolute http:// target without user info, or null for other forms.
function absoluteAuthority(target: string): string | null {
  if (!/^http:\/\//i.test(target)) return null;
  return target.slice(7).split(/[/?#]/)[0].split("@").pop()!;
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
  const authority = absoluteAuthority(h.target);
  if (authority !== null) {
    const hp = splitHostPort(authority, 80);
    return hp && { network: "tcp", ...hp };
  }
  if (allowTransparent && h.target.startsWith("/")) {
    const host = header(h, "host");
    const hp = host ? splitHostPort(host, 80) : null;
    return hp && { network: "tcp", ...hp };
  }
  return null;
}

/**
 * The head for the origin: origin-form target, Host from an absolute URI, hop-by-hop fields
 * dropped, Content-Length dropped beside Transfer-Encoding, and `Connection: close`.
 */
export function originRequestHead(h: HttpRequestHead): Uint8Array {
  let target = h.target;
  const authority = absoluteAuthority(target);
  let headers = endToEndHeaders(h.headers);
  if (authority !== null) {
    const rest = target.slice(7);
    const i = rest.search(/[/?#]/);
    target = i < 0 ? "/" : rest.slice(i).startsWith("/") ? rest.slice(i) : "/" + rest.slice(i);
    headers = [["Host", authority], ...headers.filter(([k]) => k.toLowerCase() !== "host")];
  }
  if (headerValue(headers, "transfer-encoding") !== undefined) {
    headers = headers.filter(([k]) => k.toLowerCase() !== "content-length");
  }
  headers.push(["Connection", "close"]);
  return serializeHead(`${h.method} ${target} ${h.version}`, headers);
}

// The path of a request target as Go's URL.Path has it: no query or fragment, escapes decoded.
function targetPath(target: string): string {
  const authority = absoluteAuthority(target);
  const rest = authority === null ? target : target.slice(7 + authority.length);
  const path = rest.split(/[?#]/)[0];
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * What 4.34's http inbound gives a plain (not CONNECT) request for routing's `attrs`: ":method"
 * (upper case), ":path", and each end-to-end header's first value under its lower-case name
 * (Host is not a header there, as in Go; a missing User-Agent is "").
 */
export function requestAttributes(h: HttpRequestHead): Map<string, string> {
  const out = new Map([[":method", h.method.toUpperCase()], [":path", targetPath(h.target)]]);
  for (const [k, v] of endToEndHeaders(h.headers)) {
    const name = k.toLowerCase();
    if (name !== "host" && !out.has(name)) out.set(name, v);
  }
  if (!out.has("user-agent")) out.set("user-agent", "");
  return out;
}
