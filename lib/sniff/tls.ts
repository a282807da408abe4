/**
 * TLS ClientHello sniffing for the server name (SNI). Unlike V2Ray 4.34, which reads only the
 * first record, a ClientHello fragmented over several handshake records is reassembled, so a
 * client that splits it (or a hello larger than one record) is still recognised.
 */
import { addressFromName } from "../core/destination.ts";
import { NEED_MORE, NOT_THIS, type SniffVerdict } from "./verdict.ts";

const HANDSHAKE = 0x16, CLIENT_HELLO = 1, SERVER_NAME = 0, HOST_NAME = 0;

/** The longest ClientHello message sniffed; a longer one is not waited for. */
export const MAX_CLIENT_HELLO = 16 * 1024;

// Largest TLS plaintext record (RFC 8446 §5.1).
const MAX_RECORD = 16 * 1024;

function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

/**
 * The handshake bytes carried by the records at the start of `bytes`, up to `want` of them (all
 * there are when `want` is undefined); null when the records are not TLS handshake records.
 */
function handshakeBytes(bytes: Uint8Array, want?: number): Uint8Array | null {
  const parts: Uint8Array[] = [];
  let have = 0;
  for (let o = 0; o < bytes.length && (want === undefined || have < want);) {
    if (bytes[o] !== HANDSHAKE) return null;
    if (o + 1 < bytes.length && bytes[o + 1] !== 3) return null;
    if (o + 5 > bytes.length) break;
    const len = u16(bytes, o + 3);
    if (len === 0 || len > MAX_RECORD) return null;
    const body = bytes.subarray(o + 5, Math.min(bytes.length, o + 5 + len));
    parts.push(body);
    have += body.length;
    if (body.length < len) break;
    o += 5 + len;
  }
  const out = new Uint8Array(have);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// The host_name of a complete ClientHello body; NOT_THIS when malformed or without one.
function serverName(hello: Uint8Array): SniffVerdict {
  let o = 2 + 32; // legacy_version, random
  if (o + 1 > hello.length) return NOT_THIS;
  const sessionId = hello[o];
  if (sessionId > 32) return NOT_THIS;
  o += 1 + sessionId;
  if (o + 2 > hello.length) return NOT_THIS;
  const suites = u16(hello, o);
  if (suites % 2 === 1) return NOT_THIS;
  o += 2 + suites;
  if (o + 1 > hello.length) return NOT_THIS;
  o += 1 + hello[o]; // compression methods
  if (o + 2 > hello.length) return NOT_THIS;
  const extLen = u16(hello, o);
  o += 2;
  // As 4.34: the extensions must fill the rest of the message exactly.
  if (o + extLen !== hello.length) return NOT_THIS;
  while (o < hello.length) {
    if (o + 4 > hello.length) return NOT_THIS;
    const type = u16(hello, o), len = u16(hello, o + 2);
    o += 4;
    if (o + len > hello.length) return NOT_THIS;
    if (type === SERVER_NAME) return nameFromList(hello.subarray(o, o + len));
    o += len;
  }
  return NOT_THIS; // No SNI: 4.34 does not count this as TLS.
}

function nameFromList(ext: Uint8Array): SniffVerdict {
  if (ext.length < 2 || u16(ext, 0) !== ext.length - 2) return NOT_THIS;
  for (let o = 2; o < ext.length;) {
    if (o + 3 > ext.length) return NOT_THIS;
    const type = ext[o], len = u16(ext, o + 1);
    o += 3;
    if (o + len > ext.length) return NOT_THIS;
    if (type === HOST_NAME) {
      const name = ext.subarray(o, o + len);
      // RFC 6066 §3: no trailing dot; 4.34 refuses such a hello.
      if (len === 0 || name[len - 1] === 0x2e) return NOT_THIS;
      // A name that is not a valid domain is still TLS, but gives no destination.
      return { kind: "found", protocol: "tls", domain: addressFromName(name) };
    }
    o += len;
  }
  return NOT_THIS;
}

/** Sniffs a TLS ClientHello: found "tls" with its SNI, need more bytes, or not TLS. */
export function sniffTls(bytes: Uint8Array): SniffVerdict {
  const head = handshakeBytes(bytes, 4);
  if (head === null) return NOT_THIS;
  if (head.length < 4) return NEED_MORE;
  if (head[0] !== CLIENT_HELLO) return NOT_THIS;
  const len = (head[1] << 16) | (head[2] << 8) | head[3];
  if (len < 2 + 32 + 1 + 2 + 1 || len > MAX_CLIENT_HELLO) return NOT_THIS;
  const all = handshakeBytes(bytes, 4 + len);
  if (all === null) return NOT_THIS;
  if (all.length < 4 + len) return NEED_MORE;
  return serverName(all.subarray(4, 4 + len));
}
