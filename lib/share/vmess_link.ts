/**
 * `vmess://` share links in v2rayN's "version 2" form (transport-spec §6): base64 of a JSON object
 * whose values are strings. We write standard padded base64 with string values, as v2rayN does,
 * and read as leniently as v2rayN (URL-safe alphabet, missing padding, spaces and line breaks,
 * numbers or strings), plus the URI form `vmess://uuid@host:port?…#remark`.
 */
import { DenorayError } from "../core/errors.ts";

/** What a link says about one VMess client. */
export interface VmessShare {
  /** Remark shown by the client app. */
  readonly ps: string;
  /** Server address (IP or domain; for a CDN, the CDN's name). */
  readonly add: string;
  /** Server port. */
  readonly port: number;
  /** The user's UUID. */
  readonly id: string;
  /** alterId (0: AEAD headers). */
  readonly aid: number;
  /** VMess security ("" or "auto" for auto). */
  readonly scy: string;
  /** Transport: tcp, ws, h2, kcp, quic, grpc. */
  readonly net: string;
  /** Header type (tcp: none or http). */
  readonly type: string;
  /** ws: the Host header; tcp-http: hosts, comma-separated; h2: host. */
  readonly host: string;
  /** ws / h2: the path (may carry `?ed=2048`). */
  readonly path: string;
  /** "tls" or "". */
  readonly tls: string;
  /** TLS server name. */
  readonly sni: string;
  /** ALPN, comma-separated. */
  readonly alpn: string;
  /** allowInsecure. */
  readonly insecure: boolean;
}

/** A link that cannot be read. */
export class ShareLinkError extends DenorayError {
  /** An error of kind "bad-link". */
  constructor(message: string, options?: ErrorOptions) {
    super("bad-link", message, options);
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return btoa(s);
}

/** The link for `share`: v2rayN's version 2, every value a string, standard padded base64. */
export function encodeVmessLink(share: VmessShare): string {
  const json = {
    v: "2",
    ps: share.ps,
    add: share.add,
    port: String(share.port),
    id: share.id,
    aid: String(share.aid),
    scy: share.scy,
    net: share.net,
    type: share.type,
    host: share.host,
    path: share.path,
    tls: share.tls,
    sni: share.sni,
    alpn: share.alpn,
    ...(share.insecure ? { insecure: "1" } : {}),
  };
  return "vmess://" + base64(enc.encode(JSON.stringify(json)));
}

// As v2rayN: spaces and line breaks dropped, the URL-safe alphabet mapped back, padding restored.
function lenientBase64(s: string): Uint8Array {
  let t = s.replace(/\s+/g, "").replaceAll("-", "+").replaceAll("_", "/").replace(/=+$/, "");
  if (t.length % 4 === 1) throw new ShareLinkError("not base64 (length)");
  t += "=".repeat((4 - t.length % 4) % 4);
  let bin: string;
  try {
    bin = atob(t);
  } catch (e) {
    throw new ShareLinkError("not base64", { cause: e });
  }
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v.trim();
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new ShareLinkError(`expected a string, got ${typeof v}`);
}

function int(v: unknown, what: string, max: number): number {
  const s = text(v);
  const n = s === "" ? 0 : Number(s);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new ShareLinkError(`bad ${what}: ${s}`);
  return n;
}

function share(o: Record<string, unknown>): VmessShare {
  const port = int(o.port, "port", 65535);
  if (port === 0) throw new ShareLinkError("bad port: 0");
  const add = text(o.add);
  const id = text(o.id);
  if (add === "") throw new ShareLinkError("no server address (add)");
  if (id === "") throw new ShareLinkError("no user id (id)");
  const insecure = text(o.insecure ?? o.allowInsecure);
  return {
    ps: text(o.ps),
    add,
    port,
    id,
    aid: int(o.aid, "alterId (aid)", 65535),
    scy: text(o.scy),
    net: text(o.net) || "tcp",
    type: text(o.type) || "none",
    host: text(o.host),
    path: text(o.path),
    tls: text(o.tls),
    sni: text(o.sni),
    alpn: text(o.alpn),
    insecure: insecure === "1" || insecure.toLowerCase() === "true",
  };
}

// A %-escaped part of a URI link; a broken escape is the link's fault, said as such.
function percentDecoded(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch (e) {
    throw new ShareLinkError(`the ${what} has a broken %-escape`, { cause: e });
  }
}

// The URI form (Xray's proposal, read by v2rayN): vmess://uuid@host:port?type=ws&…#remark.
function fromUri(rest: string): VmessShare {
  let url: URL;
  try {
    url = new URL("vmess://" + rest);
  } catch (e) {
    throw new ShareLinkError("not a vmess URI", { cause: e });
  }
  const q = url.searchParams;
  const security = q.get("security") ?? "";
  return share({
    ps: percentDecoded(url.hash.slice(1), "remark"),
    add: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port,
    id: percentDecoded(url.username, "user id"),
    aid: q.get("alterId") ?? q.get("aid") ?? "0",
    scy: q.get("encryption") ?? "",
    net: q.get("type") ?? "tcp",
    type: q.get("headerType") ?? "none",
    host: q.get("host") ?? "",
    path: q.get("path") ?? q.get("serviceName") ?? "",
    tls: security === "tls" ? "tls" : "",
    sni: q.get("sni") ?? "",
    alpn: q.get("alpn") ?? "",
    insecure: q.get("allowInsecure") ?? q.get("insecure") ?? "",
  });
}

/** Reads a `vmess://` link in v2rayN's JSON form or the URI form; ShareLinkError if it cannot. */
export function decodeVmessLink(link: string): VmessShare {
  const trimmed = link.trim();
  const m = /^vmess:\/\/(.*)$/is.exec(trimmed);
  if (!m) throw new ShareLinkError("not a vmess:// link");
  const rest = m[1];
  if (rest.includes("@")) return fromUri(rest);
  let json: unknown;
  try {
    json = JSON.parse(dec.decode(lenientBase64(rest)));
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError("the link does not hold a JSON object", { cause: e });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ShareLinkError("the link does not hold a JSON object");
  }
  return share(json as Record<string, unknown>);
}
