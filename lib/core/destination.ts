/** Where a connection goes: network, address (IP literal or domain) and port. */

/** Transport network of a destination. */
export type Network = "tcp" | "udp";

/** The kind of an address. */
export type AddressKind = "ipv4" | "ipv6" | "domain";

/** A target of a proxied connection. IPv6 addresses are kept without brackets. */
export interface Destination {
  /** tcp or udp. */
  readonly network: Network;
  /** An IPv4 or IPv6 literal, or a domain name. */
  readonly address: string;
  /** 0..65535. */
  readonly port: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Whether `s` is a dotted-quad IPv4 literal. */
export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

/** Whether `s` is an IPv6 literal (without brackets). */
export function isIPv6(s: string): boolean {
  return parseIPv6(s) !== null;
}

/** The kind of address `s` is. */
export function addressKind(s: string): AddressKind {
  if (isIPv4(s)) return "ipv4";
  if (isIPv6(s)) return "ipv6";
  return "domain";
}

/** The 4 bytes of an IPv4 literal. */
export function ipv4Bytes(s: string): Uint8Array {
  return new Uint8Array(s.split(".").map(Number));
}

/** The 16 bytes of an IPv6 literal, or null if `s` is not one. Accepts an embedded IPv4 tail. */
export function parseIPv6(s: string): Uint8Array | null {
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let tail: number[] = [];
  let text = s;
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    const v4 = s.slice(lastColon + 1);
    if (!isIPv4(v4)) return null;
    tail = v4.split(".").map(Number);
    text = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (h: string) => (h === "" ? [] : h.split(":"));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) return null;
    const v = parseInt(groups[i], 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  }
  if (tail.length) out.set(tail, 12);
  return out;
}

/** Canonical text of 4 or 16 address bytes. */
export function formatIP(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 asks.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return g.join(":");
  return g.slice(0, best).join(":") + "::" + g.slice(best + bestLen).join(":");
}

/** `host:port` text of a destination, IPv6 in brackets. */
export function formatDestination(d: Destination): string {
  const host = d.address.includes(":") ? `[${d.address}]` : d.address;
  return `${d.network}:${host}:${d.port}`;
}

// What V2Ray accepts in a domain read off the wire: letters, digits, '-', '.', '_'.
const DOMAIN = /^[0-9A-Za-z._-]{1,255}$/;

/** Whether `s` is a domain name as V2Ray accepts one from the network (1–255 of [0-9A-Za-z._-]). */
export function isValidDomain(s: string): boolean {
  return DOMAIN.test(s);
}

/**
 * The address a name from the network stands for: the IP literal it spells (IPv6 with or without
 * brackets), else the name if it is a valid domain, else null (control characters, spaces, bytes
 * that are not ASCII, empty or too long: V2Ray refuses these as "invalid domain name").
 */
export function addressFromName(name: Uint8Array | string): string | null {
  let s: string;
  if (typeof name === "string") s = name;
  else {
    // Only ASCII can be valid; checking bytes first keeps invalid UTF-8 from becoming U+FFFD.
    for (const b of name) if (b < 0x21 || b > 0x7e) return null;
    s = String.fromCharCode(...name);
  }
  const literal = s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s;
  if (isIPv4(literal)) return literal;
  const v6 = parseIPv6(literal);
  if (v6) return formatIP(v6);
  return isValidDomain(s) ? s : null;
}
