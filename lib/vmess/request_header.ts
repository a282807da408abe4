/** The request header plaintext (spec §3), the same inside AEAD and legacy envelopes. */
import type { Destination } from "../core/destination.ts";
import { addressFromName, formatIP, ipv4Bytes, isIPv4, parseIPv6 } from "../core/destination.ts";
import { randomBytes, randomInt, utf8 } from "../core/bytes.ts";
import { ProtocolError } from "../core/errors.ts";
import { fnv1a32 } from "../crypto/mod.ts";
import { type Command, COMMAND_BYTE, Option, SECURITY_BYTE, type WireSecurity } from "./types.ts";

/** A decoded (or to-be-encoded) request header. */
export interface RequestHeader {
  /** Request body IV (16). */
  readonly bodyIv: Uint8Array;
  /** Request body key (16). */
  readonly bodyKey: Uint8Array;
  /** The byte the response must echo. */
  readonly responseAuth: number;
  /** Option bits. */
  readonly options: number;
  /** Body security; "zero" is sent as none with S and M cleared. */
  readonly security: WireSecurity | "zero";
  /** tcp, udp or mux. */
  readonly command: Command;
  /** Target (absent for mux). */
  readonly destination?: Destination;
}

const SECURITY_OF_BYTE: Record<number, WireSecurity> = {
  0: "aes-128-cfb",
  1: "aes-128-cfb",
  3: "aes-128-gcm",
  4: "chacha20-poly1305",
  5: "none",
};

function addressBytes(d: Destination): Uint8Array {
  if (isIPv4(d.address)) return new Uint8Array([1, ...ipv4Bytes(d.address)]);
  const v6 = parseIPv6(d.address);
  if (v6) return new Uint8Array([3, ...v6]);
  const name = utf8(d.address);
  if (name.length === 0 || name.length > 255) throw new RangeError(`bad domain ${d.address}`);
  return new Uint8Array([2, name.length, ...name]);
}

/** Encodes the plaintext with random padding (0–15 bytes) and the FNV-1a checksum. */
export function encodeRequestHeader(h: RequestHeader, paddingLength = randomInt(16)): Uint8Array {
  const sec = h.security === "zero" ? SECURITY_BYTE.none : SECURITY_BYTE[h.security];
  if ((h.options & Option.GlobalPadding) && !(h.options & Option.ChunkMasking)) {
    // V2Ray 4.34 servers crash on P without M (spec §3).
    throw new ProtocolError("bad-options", "option P requires option M");
  }
  const addr = h.command === "mux" || !h.destination
    ? new Uint8Array(0)
    : addressBytes(h.destination);
  const portLen = h.command === "mux" ? 0 : 2;
  const out = new Uint8Array(38 + portLen + addr.length + paddingLength + 4);
  out[0] = 1;
  out.set(h.bodyIv, 1);
  out.set(h.bodyKey, 17);
  out[33] = h.responseAuth;
  out[34] = h.options;
  out[35] = (paddingLength << 4) | sec;
  out[36] = 0;
  out[37] = COMMAND_BYTE[h.command];
  let o = 38;
  if (portLen) {
    out[o++] = h.destination!.port >> 8;
    out[o++] = h.destination!.port & 0xff;
  }
  out.set(addr, o);
  o += addr.length;
  out.set(randomBytes(paddingLength), o);
  o += paddingLength;
  new DataView(out.buffer).setUint32(o, fnv1a32(out.subarray(0, o)));
  return out;
}

/**
 * The total header length if `p` holds enough of the plaintext to know it, else null (legacy
 * headers carry no length). Throws ProtocolError for an unknown command or address type.
 */
export function requestHeaderLength(p: Uint8Array): number | null {
  if (p.length < 38) return null;
  const padding = p[35] >> 4;
  const cmd = p[37];
  if (cmd === 3) return 38 + padding + 4;
  if (cmd !== 1 && cmd !== 2) throw new ProtocolError("bad-command", `unknown command ${cmd}`);
  if (p.length < 41) return null;
  let addrLen: number;
  switch (p[40]) {
    case 1:
      addrLen = 4;
      break;
    case 3:
      addrLen = 16;
      break;
    case 2:
      if (p.length < 42) return null;
      addrLen = 1 + p[41];
      break;
    default:
      throw new ProtocolError("bad-address", `unknown address type ${p[40]}`);
  }
  return 41 + addrLen + padding + 4;
}

/** Decodes a complete plaintext, with 4.34's checks in its order; throws ProtocolError. */
export function decodeRequestHeader(p: Uint8Array): RequestHeader {
  const len = requestHeaderLength(p);
  if (len === null || p.length < len) {
    throw new ProtocolError("bad-length", "request header too short");
  }
  const sumAt = len - 4;
  if (fnv1a32(p.subarray(0, sumAt)) !== new DataView(p.buffer, p.byteOffset).getUint32(sumAt)) {
    throw new ProtocolError("bad-checksum", "request header checksum mismatch");
  }
  const secByte = p[35] & 0x0f;
  const security = SECURITY_OF_BYTE[secByte];
  if (!security) throw new ProtocolError("bad-security", `unknown security ${secByte}`);
  const options = p[34];
  if ((options & Option.GlobalPadding) && !(options & Option.ChunkMasking)) {
    throw new ProtocolError("bad-options", "option P without M");
  }
  const command: Command = p[37] === 1 ? "tcp" : p[37] === 2 ? "udp" : "mux";
  let destination: Destination | undefined;
  if (command !== "mux") {
    const port = (p[38] << 8) | p[39];
    const network = command === "udp" ? "udp" : "tcp";
    let address: string;
    if (p[40] === 1) address = formatIP(p.subarray(41, 45));
    else if (p[40] === 3) address = formatIP(p.subarray(41, 57));
    else {
      const name = addressFromName(p.subarray(42, 42 + p[41]));
      if (name === null) throw new ProtocolError("bad-address", "invalid domain in request header");
      address = name;
    }
    destination = { network, address, port };
  }
  return {
    bodyIv: p.slice(1, 17),
    bodyKey: p.slice(17, 33),
    responseAuth: p[33],
    options,
    // Security 5 without S and M is V2Fly's "zero": a raw body.
    security: security === "none" && (options & (Option.ChunkStream | Option.ChunkMasking)) === 0
      ? "zero"
      : security,
    command,
    destination,
  };
}
