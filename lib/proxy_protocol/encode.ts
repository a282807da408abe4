/** PROXY protocol writers (for tests and for a future dial side): v1 lines and v2 headers. */
import { ipv4Bytes, isIPv4, parseIPv6 } from "../core/destination.ts";
import type { ProxyAddress } from "./header.ts";
import { V2_SIGNATURE } from "./parse.ts";

/** `PROXY TCP4|TCP6 src dst sport dport\r\n`, or `PROXY UNKNOWN\r\n` without addresses. */
export function encodeProxyV1(source: ProxyAddress | null, destination?: ProxyAddress): Uint8Array {
  if (!source || !destination) return new TextEncoder().encode("PROXY UNKNOWN\r\n");
  const proto = isIPv4(source.address) ? "TCP4" : "TCP6";
  return new TextEncoder().encode(
    `PROXY ${proto} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`,
  );
}

/** What a v2 header carries. */
export interface ProxyV2Fields {
  /** "proxy" (default) or "local". */
  readonly command?: "proxy" | "local";
  /** Client address; with `destination`, both IPv4 or both IPv6. Absent: family UNSPEC. */
  readonly source?: ProxyAddress;
  /** Address the client connected to. */
  readonly destination?: ProxyAddress;
  /** Raw TLV bytes appended after the addresses. */
  readonly tlvs?: Uint8Array;
}

function ipOf(a: string): Uint8Array {
  const b = isIPv4(a) ? ipv4Bytes(a) : parseIPv6(a);
  if (!b) throw new RangeError(`${a} is not an IP address`);
  return b;
}

/** A v2 header (STREAM family for addresses), as haproxy's `send-proxy-v2` writes it. */
export function encodeProxyV2(fields: ProxyV2Fields): Uint8Array {
  const tlvs = fields.tlvs ?? new Uint8Array(0);
  let family = 0x00;
  let addr = new Uint8Array(0);
  if (fields.source && fields.destination) {
    const s = ipOf(fields.source.address), d = ipOf(fields.destination.address);
    if (s.length !== d.length) throw new RangeError("source and destination families differ");
    family = s.length === 4 ? 0x11 : 0x21;
    addr = new Uint8Array(2 * s.length + 4);
    addr.set(s, 0);
    addr.set(d, s.length);
    const p = 2 * s.length;
    addr[p] = fields.source.port >> 8;
    addr[p + 1] = fields.source.port & 0xff;
    addr[p + 2] = fields.destination.port >> 8;
    addr[p + 3] = fields.destination.port & 0xff;
  }
  const length = addr.length + tlvs.length;
  const out = new Uint8Array(16 + length);
  out.set(V2_SIGNATURE, 0);
  out[12] = fields.command === "local" ? 0x20 : 0x21;
  out[13] = family;
  out[14] = length >> 8;
  out[15] = length & 0xff;
  out.set(addr, 16);
  out.set(tlvs, 16 + addr.length);
  return out;
}
