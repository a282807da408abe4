/**
 * PROXY protocol v1 and v2 readers (haproxy's proxy-protocol.txt), required first on a
 * connection as V2Ray 4.34 requires it (go-proxyproto with policy REQUIRE). Incremental: call
 * with the bytes received so far; null means more are needed. Strict limits: a v1 line is at most
 * 107 bytes, a v2 header at most 16 + `maxV2Length` bytes.
 */
import { ProtocolError } from "../core/errors.ts";
import { formatIP, isIPv4, parseIPv6 } from "../core/destination.ts";
import type { ProxyAddress, ProxyFamily, ProxyHeader } from "./header.ts";

/** The v2 signature: \r\n\r\n\0\r\nQUIT\n. */
export const V2_SIGNATURE = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);
const V1_PREFIX = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59, 0x20); // "PROXY "

/** Longest v1 line, CRLF included (the spec's bound). */
export const V1_MAX_LENGTH = 107;

/**
 * Default bound on v2's address-and-TLV length: go-proxyproto peeks the whole header through a
 * 4 KiB buffer, so 4.34 takes at most 4096 bytes in all.
 */
export const DEFAULT_V2_MAX_LENGTH = 4096 - 16;

/** Options of parseProxyHeader. */
export interface ProxyParseOptions {
  /** Largest v2 length field accepted (default DEFAULT_V2_MAX_LENGTH). */
  readonly maxV2Length?: number;
}

function fail(message: string): ProtocolError {
  return new ProtocolError("proxy-protocol", `PROXY protocol: ${message}`);
}

// Whether b starts like `prefix` as far as both go.
function startsLike(b: Uint8Array, prefix: Uint8Array): boolean {
  const n = Math.min(b.length, prefix.length);
  for (let i = 0; i < n; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

/**
 * The header at the start of `b`, null while incomplete. Throws ProtocolError "proxy-protocol"
 * as soon as the bytes cannot be a valid header (including a connection without one).
 */
export function parseProxyHeader(
  b: Uint8Array,
  options: ProxyParseOptions = {},
): ProxyHeader | null {
  if (b.length === 0) return null;
  if (startsLike(b, V1_PREFIX)) return parseV1(b);
  if (startsLike(b, V2_SIGNATURE)) return parseV2(b, options.maxV2Length ?? DEFAULT_V2_MAX_LENGTH);
  throw fail("the connection does not start with a PROXY header");
}

function parseV1(b: Uint8Array): ProxyHeader | null {
  const n = Math.min(b.length, V1_MAX_LENGTH);
  let end = -1;
  for (let i = 0; i < n; i++) {
    if (b[i] === 0x0a) {
      if (i === 0 || b[i - 1] !== 0x0d) throw fail("v1 line ends without CRLF");
      end = i + 1;
      break;
    }
  }
  if (end < 0) {
    if (b.length >= V1_MAX_LENGTH) throw fail(`v1 line longer than ${V1_MAX_LENGTH} bytes`);
    return null;
  }
  let line = "";
  for (let i = 0; i < end - 2; i++) line += String.fromCharCode(b[i]);
  const parts = line.split(" ");
  if (parts[1] === "UNKNOWN") {
    // The spec: whatever follows UNKNOWN is ignored.
    return {
      version: 1,
      command: "proxy",
      family: "unspec",
      source: null,
      destination: null,
      used: end,
    };
  }
  if (parts[1] !== "TCP4" && parts[1] !== "TCP6") {
    throw fail("v1 protocol is not TCP4, TCP6 or UNKNOWN");
  }
  if (parts.length !== 6) throw fail("v1 line does not have 6 fields");
  const v4 = parts[1] === "TCP4";
  const src = v1Address(parts[2], parts[4], v4);
  const dst = v1Address(parts[3], parts[5], v4);
  return {
    version: 1,
    command: "proxy",
    family: v4 ? "tcp4" : "tcp6",
    source: src,
    destination: dst,
    used: end,
  };
}

function v1Address(ip: string, port: string, v4: boolean): ProxyAddress {
  let address: string;
  if (v4) {
    if (!isIPv4(ip)) throw fail(`${JSON.stringify(ip)} is not an IPv4 address`);
    address = ip;
  } else {
    const bytes = ip.includes(":") ? parseIPv6(ip) : null;
    if (!bytes) throw fail(`${JSON.stringify(ip)} is not an IPv6 address`);
    address = formatIP(bytes);
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw fail(`${JSON.stringify(port)} is not a port`);
  }
  return { address, port: Number(port) };
}

const V2_FAMILIES: ReadonlyMap<number, { family: ProxyFamily; addressBytes: number }> = new Map([
  [0x00, { family: "unspec", addressBytes: 0 }],
  [0x11, { family: "tcp4", addressBytes: 12 }],
  [0x12, { family: "udp4", addressBytes: 12 }],
  [0x21, { family: "tcp6", addressBytes: 36 }],
  [0x22, { family: "udp6", addressBytes: 36 }],
  [0x31, { family: "unix", addressBytes: 216 }],
  [0x32, { family: "unix", addressBytes: 216 }],
]);

function parseV2(b: Uint8Array, maxLength: number): ProxyHeader | null {
  if (b.length < 16) {
    if (b.length > 12 && b[12] !== 0x20 && b[12] !== 0x21) throw fail("v2 version/command byte");
    if (b.length > 13 && !V2_FAMILIES.has(b[13])) throw fail("v2 address family");
    return null;
  }
  const command = b[12] === 0x20 ? "local" : b[12] === 0x21 ? "proxy" : null;
  if (!command) throw fail(`v2 version/command byte 0x${b[12].toString(16)}`);
  const fam = V2_FAMILIES.get(b[13]);
  if (!fam) throw fail(`v2 address family 0x${b[13].toString(16)}`);
  const length = (b[14] << 8) | b[15];
  if (length > maxLength) throw fail(`v2 length ${length} over ${maxLength}`);
  if (length < fam.addressBytes) throw fail(`v2 length ${length} too short for ${fam.family}`);
  if (b.length < 16 + length) return null;
  const used = 16 + length;
  // TLVs after the addresses are skipped. LOCAL and non-IP families carry no usable address.
  if (command === "local" || fam.addressBytes === 0 || fam.family === "unix") {
    return { version: 2, command, family: fam.family, source: null, destination: null, used };
  }
  const v4 = fam.addressBytes === 12;
  const ipLen = v4 ? 4 : 16;
  const o = 16;
  const src = formatIP(b.slice(o, o + ipLen));
  const dst = formatIP(b.slice(o + ipLen, o + 2 * ipLen));
  const p = o + 2 * ipLen;
  return {
    version: 2,
    command,
    family: fam.family,
    source: { address: src, port: (b[p] << 8) | b[p + 1] },
    destination: { address: dst, port: (b[p + 2] << 8) | b[p + 3] },
    used,
  };
}
