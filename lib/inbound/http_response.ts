/** HTTP proxy responses: parsing an origin's response head and rewriting it for the client. */
import { utf8 } from "../core/bytes.ts";
import { ProtocolError } from "../core/errors.ts";
import type { PrefixParser } from "./stream_reader.ts";
import { endToEndHeaders, hasControl, serializeHead, splitHead } from "./http_head.ts";

/** A parsed response head. */
export interface HttpResponseHead {
  /** HTTP/1.0 or HTTP/1.1. */
  readonly version: string;
  /** Status code, 100..999. */
  readonly status: number;
  /** Reason phrase (may be empty). */
  readonly reason: string;
  /** Header lines in order (name as sent, value trimmed). */
  readonly headers: readonly [string, string][];
}

/** Longest response head accepted from an origin. */
export const RESPONSE_HEAD_LIMIT = 64 * 1024;

/** Parses a response head up to the blank line; ProtocolError "bad-response" if malformed. */
export const parseResponseHead: PrefixParser<HttpResponseHead> = (b) => {
  const h = splitHead(b, "bad-response");
  if (!h) return null;
  const m = /^(HTTP\/1\.[01]) ([1-9]\d\d)(?: (.*))?$/s.exec(h.start);
  if (!m || hasControl(h.start)) {
    throw new ProtocolError("bad-response", "not an HTTP/1.x status line");
  }
  const value = { version: m[1], status: Number(m[2]), reason: m[3] ?? "", headers: h.headers };
  return { value, used: h.used };
};

/** The head for the client: hop-by-hop fields dropped, then `Connection: <connection>` unless null. */
export function clientResponseHead(
  h: HttpResponseHead,
  connection: "keep-alive" | "close" | null,
): Uint8Array {
  const headers = endToEndHeaders(h.headers);
  if (connection) headers.push(["Connection", connection]);
  return serializeHead(`${h.version} ${h.status} ${h.reason}`, headers);
}

/** A body-less response the proxy itself gives, closing the connection (e.g. 400, 503). */
export function proxyResponse(status: number, reason: string, extra = ""): Uint8Array {
  return utf8(
    `HTTP/1.1 ${status} ${reason}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}

/** The proxy's own answers, all closing the connection. */
export const PROXY_RESPONSES = {
  badRequest: proxyResponse(400, "Bad Request"),
  authRequired: proxyResponse(
    407,
    "Proxy Authentication Required",
    'Proxy-Authenticate: Basic realm="proxy"\r\n',
  ),
  unavailable: proxyResponse(503, "Service Unavailable"),
};
