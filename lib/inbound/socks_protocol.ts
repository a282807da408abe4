/** SOCKS5 (RFC 1928/1929) and SOCKS4/4a messages as pure parsers and encoders. */
import type { Destination } from "../core/destination.ts";
import { addressFromName, formatIP, ipv4Bytes, isIPv4, parseIPv6 } from "../core/destination.ts";
import { ProtocolError } from "../core/errors.ts";
import type { PrefixParser } from "./stream_reader.ts";

const dec = new TextDecoder();

/** The first message: SOCKS5 method list, or a whole SOCKS4/4a request. */
export type SocksHello =
  | { readonly version: 5; readonly methods: readonly number[] }
  | {
    readonly version: 4;
    readonly command: number;
    readonly destination: Destination;
    readonly user: string;
  };

/** Parses the client's first message. */
export const parseHello: PrefixParser<SocksHello> = (b) => {
  if (b.length < 1) return null;
  if (b[0] === 5) {
    if (b.length < 2 || b.length < 2 + b[1]) return null;
    return { value: { version: 5, methods: [...b.subarray(2, 2 + b[1])] }, used: 2 + b[1] };
  }
  if (b[0] !== 4) throw new ProtocolError("bad-version", `unknown SOCKS version ${b[0]}`);
  if (b.length < 9) return null;
  const userEnd = b.indexOf(0, 8);
  if (userEnd < 0) return null;
  const port = (b[2] << 8) | b[3];
  const ip = b.subarray(4, 8);
  let address = formatIP(ip);
  let used = userEnd + 1;
  // SOCKS4a: 0.0.0.x with x ≠ 0 means a domain follows the user id.
  if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0) {
    const end = b.indexOf(0, used);
    if (end < 0) return null;
    const name = addressFromName(b.subarray(used, end));
    if (name === null) throw new ProtocolError("bad-address", "invalid domain name");
    address = name;
    used = end + 1;
  }
  return {
    value: {
      version: 4,
      command: b[1],
      destination: { network: "tcp", address, port },
      user: dec.decode(b.subarray(8, userEnd)),
    },
    used,
  };
};

/** RFC 1929 username/password. */
export const parsePasswordAuth: PrefixParser<{ user: string; pass: string }> = (b) => {
  if (b.length < 2) return null;
  if (b[0] !== 1) throw new ProtocolError("bad-version", "bad auth version");
  const ulen = b[1];
  if (b.length < 3 + ulen) return null;
  const plen = b[2 + ulen];
  if (b.length < 3 + ulen + plen) return null;
  return {
    value: {
      user: dec.decode(b.subarray(2, 2 + ulen)),
      pass: dec.decode(b.subarray(3 + ulen, 3 + ulen + plen)),
    },
    used: 3 + ulen + plen,
  };
};

/** Parses an address of type 1/3/4 at offset `o`: the address, port and bytes used, or null. */
export function parseSocksAddress(
  b: Uint8Array,
  o: number,
): { address: string; port: number; end: number } | null {
  if (b.length < o + 1) return null;
  let len: number, address: string;
  switch (b[o]) {
    case 1:
      len = 4;
      if (b.length < o + 1 + len + 2) return null;
      address = formatIP(b.subarray(o + 1, o + 5));
      break;
    case 4:
      len = 16;
      if (b.length < o + 1 + len + 2) return null;
      address = formatIP(b.subarray(o + 1, o + 17));
      break;
    case 3: {
      if (b.length < o + 2) return null;
      len = 1 + b[o + 1];
      if (b.length < o + 1 + len + 2) return null;
      const name = addressFromName(b.subarray(o + 2, o + 1 + len));
      if (name === null) throw new ProtocolError("bad-address", "invalid domain name");
      address = name;
      break;
    }
    default:
      throw new ProtocolError("bad-address", `unknown address type ${b[o]}`);
  }
  const p = o + 1 + len;
  return { address, port: (b[p] << 8) | b[p + 1], end: p + 2 };
}

/** A SOCKS5 request: command and destination. */
export const parseRequest: PrefixParser<{ command: number; destination: Destination }> = (b) => {
  if (b.length < 4) return null;
  if (b[0] !== 5) throw new ProtocolError("bad-version", "bad request version");
  const a = parseSocksAddress(b, 3);
  if (!a) return null;
  const network = b[1] === 3 ? "udp" : "tcp";
  return {
    value: { command: b[1], destination: { network, address: a.address, port: a.port } },
    used: a.end,
  };
};

/** Encodes an address as ATYP ‖ ADDR ‖ PORT. */
export function encodeSocksAddress(address: string, port: number): Uint8Array {
  let head: number[];
  if (isIPv4(address)) head = [1, ...ipv4Bytes(address)];
  else if (parseIPv6(address)) head = [4, ...parseIPv6(address)!];
  else {
    const name = new TextEncoder().encode(address);
    head = [3, name.length, ...name];
  }
  return new Uint8Array([...head, port >> 8, port & 0xff]);
}

/** A SOCKS5 reply with code `rep` and bound address. */
export function socks5Reply(rep: number, address = "0.0.0.0", port = 0): Uint8Array {
  return new Uint8Array([5, rep, 0, ...encodeSocksAddress(address, port)]);
}

/** A SOCKS5 UDP datagram: RSV(2) FRAG ATYP ADDR PORT DATA; null when fragmented or malformed. */
export function parseUdpDatagram(
  b: Uint8Array,
): { destination: Destination; data: Uint8Array } | null {
  if (b.length < 4 || b[2] !== 0) return null; // Fragments are dropped, as V2Ray does.
  let a;
  try {
    a = parseSocksAddress(b, 3);
  } catch {
    return null;
  }
  if (!a) return null;
  return {
    destination: { network: "udp", address: a.address, port: a.port },
    data: b.subarray(a.end),
  };
}

/** Wraps a reply datagram from `address:port` for the SOCKS client. */
export function encodeUdpDatagram(address: string, port: number, data: Uint8Array): Uint8Array {
  const addr = encodeSocksAddress(address, port);
  const out = new Uint8Array(3 + addr.length + data.length);
  out.set(addr, 3);
  out.set(data, 3 + addr.length);
  return out;
}
