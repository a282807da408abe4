/** CIDR matching for IPv4 and IPv6 literals. */
import { ipv4Bytes, isIPv4, parseIPv6 } from "./destination.ts";

/** A parsed CIDR block. */
export interface Cidr {
  /** Network bytes (4 or 16). */
  readonly bytes: Uint8Array;
  /** Prefix length in bits. */
  readonly prefix: number;
}

/**
 * The bytes of an IP literal, or null. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, the source a
 * dual-stack "::" listener sees for an IPv4 client) is its IPv4 address, as V2Ray's net.IPAddress.
 */
export function ipBytes(s: string): Uint8Array | null {
  if (isIPv4(s)) return ipv4Bytes(s);
  const b = parseIPv6(s);
  const mapped = b !== null && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff &&
    b[11] === 0xff;
  return mapped ? b.slice(12) : b;
}

/**
 * Parses "10.0.0.0/8", "::1/128" or a single address, as V2Ray 4.34 does (no or an empty prefix
 * length is the whole address); null if invalid.
 */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf("/");
  const bytes = ipBytes(slash < 0 ? s : s.slice(0, slash));
  if (!bytes) return null;
  const len = slash < 0 ? "" : s.slice(slash + 1);
  if (len !== "" && !/^\d+$/.test(len)) return null;
  const prefix = len === "" ? bytes.length * 8 : Number(len);
  return prefix <= bytes.length * 8 ? { bytes, prefix } : null;
}

/** Whether `ip` (bytes) lies in `c`; an IPv4 address never matches an IPv6 block. */
export function cidrContains(c: Cidr, ip: Uint8Array): boolean {
  if (ip.length !== c.bytes.length) return false;
  let bits = c.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i] & mask) !== (c.bytes[i] & mask)) return false;
  }
  return true;
}
