/**
 * The "port, then address" encoding a New frame carries (the same as a VMess request header):
 * port u16, type (1 IPv4, 2 domain, 3 IPv6), then 4 bytes, a length byte and a domain, or 16 bytes.
 */
import { addressFromName, formatIP, ipv4Bytes, isIPv4, parseIPv6 } from "../core/destination.ts";
import { MuxProtocolError } from "./errors.ts";

const IPV4 = 1;
const DOMAIN = 2;
const IPV6 = 3;

/** An address and port read from metadata, and where the bytes after them start. */
export interface DecodedAddress {
  /** IP literal (canonical text) or domain. */
  readonly address: string;
  /** 0..65535. */
  readonly port: number;
  /** Offset just past the address. */
  readonly end: number;
}

/** How many bytes port and `address` take encoded (RangeError for an unencodable domain). */
export function portAddressLength(address: string): number {
  if (isIPv4(address)) return 2 + 1 + 4;
  if (parseIPv6(address)) return 2 + 1 + 16;
  const n = domainBytes(address).length;
  return 2 + 1 + 1 + n;
}

function domainBytes(address: string): Uint8Array {
  const b = new TextEncoder().encode(address);
  if (b.length === 0 || b.length > 255) {
    throw new RangeError(`a Mux.Cool domain must be 1 to 255 bytes: ${JSON.stringify(address)}`);
  }
  return b;
}

/** Writes port and address at `out[o]`; returns the offset past them. */
export function encodePortAddress(
  address: string,
  port: number,
  out: Uint8Array,
  o: number,
): number {
  out[o++] = port >> 8;
  out[o++] = port & 0xff;
  if (isIPv4(address)) {
    out[o++] = IPV4;
    out.set(ipv4Bytes(address), o);
    return o + 4;
  }
  const v6 = parseIPv6(address);
  if (v6) {
    out[o++] = IPV6;
    out.set(v6, o);
    return o + 16;
  }
  const name = domainBytes(address);
  out[o++] = DOMAIN;
  out[o++] = name.length;
  out.set(name, o);
  return o + name.length;
}

/** Reads port and address from `meta` at `o`; throws MuxProtocolError if they do not fit or parse. */
export function decodePortAddress(meta: Uint8Array, o: number): DecodedAddress {
  const need = (n: number) => {
    if (o + n > meta.length) {
      throw new MuxProtocolError("truncated", "Mux.Cool address overruns its metadata");
    }
  };
  need(3);
  const port = (meta[o] << 8) | meta[o + 1];
  const type = meta[o + 2];
  o += 3;
  switch (type) {
    case IPV4:
      need(4);
      return { address: formatIP(meta.subarray(o, o + 4)), port, end: o + 4 };
    case IPV6:
      need(16);
      return { address: formatIP(meta.subarray(o, o + 16)), port, end: o + 16 };
    case DOMAIN: {
      need(1);
      const len = meta[o++];
      need(len);
      const name = meta.subarray(o, o + len);
      return { address: readDomain(name), port, end: o + len };
    }
    default:
      throw new MuxProtocolError("bad-address", `unknown Mux.Cool address type ${type}`);
  }
}

// As 4.34: an IP literal sent as a domain (also "[v6]") is that IP; otherwise only [0-9A-Za-z._-],
// and an empty one is refused too.
function readDomain(name: Uint8Array): string {
  if (name.length === 0) throw new MuxProtocolError("bad-address", "empty Mux.Cool domain");
  const address = addressFromName(name);
  if (address === null) {
    throw new MuxProtocolError("bad-address", "invalid character in Mux.Cool domain");
  }
  return address;
}
