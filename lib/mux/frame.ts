/**
 * Mux.Cool frames: `metaLen u16 | metadata | [dataLen u16 | data]`, metadata being
 * `id u16 | status | options | [network | port u16 | address]` (docs/mux.md has the offsets).
 */
import type { Destination, Network } from "../core/destination.ts";
import { encodePortAddress, portAddressLength } from "./address.ts";

/** Frame statuses, in wire order (New = 1 … KeepAlive = 4). */
export const STATUSES = ["new", "keep", "end", "keepalive"] as const;

/** A frame's status: opens, carries, ends a sub-connection, or keeps the connection alive. */
export type Status = typeof STATUSES[number];

/** The status byte of each status. */
export const STATUS_BYTE: Readonly<Record<Status, number>> = {
  new: 0x01,
  keep: 0x02,
  end: 0x03,
  keepalive: 0x04,
};

/** Option bit: a data part follows the metadata. */
export const OPTION_DATA = 0x01;
/** Option bit: the sub-connection ended with an error. */
export const OPTION_ERROR = 0x02;

/** The network byte of each network. */
export const NETWORK_BYTE: Readonly<Record<Network, number>> = { tcp: 0x01, udp: 0x02 };

/** Largest metadata length 4.34 accepts. */
export const MAX_METADATA = 512;
/** Largest data part a frame can carry (its length is a u16). */
export const MAX_FRAME_DATA = 0xffff;
/** 4.34 splits stream data into frames of at most this many bytes; so do we. */
export const STREAM_FRAME_DATA = 8 * 1024;
/** 4.34's UDP frame reader ends the connection on a datagram longer than this. */
export const MAX_UDP_DATA = 2048;

/** One decoded (or to-be-encoded) frame. */
export interface Frame {
  /** Session id. */
  readonly id: number;
  /** What the frame does. */
  readonly status: Status;
  /** Option bit Error. */
  readonly error: boolean;
  /** On New: the target. On a UDP Keep (Xray's form only): the datagram's peer. */
  readonly destination?: Destination;
  /** The data part, present exactly when option bit Data is set. */
  readonly data?: Uint8Array;
}

function metadataLength(f: Frame): number {
  if (!f.destination) return 4;
  return 4 + 1 + portAddressLength(f.destination.address);
}

// New must name a target; only New and (Xray's) UDP Keep may; the data must fit a u16.
function check(f: Frame): void {
  if (f.status === "new" && !f.destination) throw new RangeError("a New frame needs a destination");
  if (f.destination && f.status !== "new") {
    if (f.status !== "keep" || f.destination.network !== "udp") {
      throw new RangeError("only New and UDP Keep frames carry a destination");
    }
  }
  if (f.data && f.data.length > MAX_FRAME_DATA) {
    throw new RangeError(`frame data of ${f.data.length} bytes exceeds ${MAX_FRAME_DATA}`);
  }
}

/** Encoded size of `f`. */
export function frameLength(f: Frame): number {
  return 2 + metadataLength(f) + (f.data ? 2 + f.data.length : 0);
}

/** Encodes `f` at `out[o]`, which must have frameLength(f) bytes free; returns the offset past it. */
export function encodeFrameInto(f: Frame, out: Uint8Array, o: number): number {
  check(f);
  const metaStart = o + 2;
  let p = metaStart;
  out[p++] = f.id >> 8;
  out[p++] = f.id & 0xff;
  out[p++] = STATUS_BYTE[f.status];
  out[p++] = (f.data ? OPTION_DATA : 0) | (f.error ? OPTION_ERROR : 0);
  if (f.destination) {
    out[p++] = NETWORK_BYTE[f.destination.network];
    p = encodePortAddress(f.destination.address, f.destination.port, out, p);
  }
  const metaLen = p - metaStart;
  out[o] = metaLen >> 8;
  out[o + 1] = metaLen & 0xff;
  if (f.data) {
    out[p++] = f.data.length >> 8;
    out[p++] = f.data.length & 0xff;
    out.set(f.data, p);
    p += f.data.length;
  }
  return p;
}

/** Encodes `f` into a new array. Throws RangeError for a frame that cannot be sent. */
export function encodeFrame(f: Frame): Uint8Array {
  const out = new Uint8Array(frameLength(f));
  encodeFrameInto(f, out, 0);
  return out;
}
