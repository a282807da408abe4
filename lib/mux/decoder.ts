/** An incremental Mux.Cool frame decoder: bytes in any split, frames out, bad bytes as errors. */
import type { Destination } from "../core/destination.ts";
import { decodePortAddress } from "./address.ts";
import { MuxProtocolError } from "./errors.ts";
import { type Frame, MAX_METADATA, OPTION_DATA, OPTION_ERROR, type Status } from "./frame.ts";

const STATUS_OF_BYTE: Readonly<Record<number, Status>> = {
  1: "new",
  2: "keep",
  3: "end",
  4: "keepalive",
};

/** A frame's metadata and whether a data part follows it. */
interface Metadata {
  readonly frame: Frame;
  readonly metaLen: number;
  readonly hasData: boolean;
}

/**
 * Parses metadata as 4.34 does, stricter where 4.34 crashes or misreads: bytes after what the
 * status needs are ignored (an Xray New may append an XUDP id); a Keep longer than 4 bytes whose
 * byte 4 is UDP carries a datagram peer (Xray's form, which 4.34 ignores).
 */
function parseMetadata(meta: Uint8Array): Metadata {
  const id = (meta[0] << 8) | meta[1];
  const status = STATUS_OF_BYTE[meta[2]];
  if (!status) throw new MuxProtocolError("bad-status", `unknown Mux.Cool status ${meta[2]}`);
  const options = meta[3];
  let destination: Destination | undefined;
  const udpKeep = status === "keep" && meta.length > 4 && meta[4] === 2;
  if (status === "new" || udpKeep) {
    if (meta.length < 8) throw new MuxProtocolError("truncated", "Mux.Cool New metadata too short");
    const networkByte = meta[4];
    if (networkByte !== 1 && networkByte !== 2) {
      throw new MuxProtocolError("bad-network", `unknown Mux.Cool network ${networkByte}`);
    }
    const { address, port } = decodePortAddress(meta, 5);
    destination = { network: networkByte === 1 ? "tcp" : "udp", address, port };
  }
  const frame: Frame = destination
    ? { id, status, error: (options & OPTION_ERROR) !== 0, destination }
    : { id, status, error: (options & OPTION_ERROR) !== 0 };
  return { frame, metaLen: meta.length, hasData: (options & OPTION_DATA) !== 0 };
}

interface Piece {
  bytes: Uint8Array;
  // False while it is a view of the caller's array, which may be reused after next() gives null.
  owned: boolean;
}

/**
 * Push bytes as they arrive, then call next() until it returns null. Pushed arrays are kept by
 * reference until next() returns null; then the decoder copies what it still holds, so the caller
 * may reuse them (a socket's read buffer). A frame's data may be a view of a pushed array: use or
 * copy it before that. Bytes are copied only where a run straddles two pushes.
 */
export class FrameDecoder {
  #pieces: Piece[] = [];
  #length = 0;
  #meta: Metadata | null = null;

  /** Bytes held that do not yet make a whole frame. */
  get pending(): number {
    return this.#length;
  }

  /** Appends received bytes (kept by reference until next() returns null). */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#pieces.push({ bytes, owned: false });
    this.#length += bytes.length;
  }

  /** The next whole frame, or null until more bytes arrive. Throws MuxProtocolError. */
  next(): Frame | null {
    const frame = this.#frame();
    if (frame === null) this.#own();
    return frame;
  }

  /** Checks that the input ended on a frame boundary; throws MuxProtocolError("truncated") if not. */
  end(): void {
    if (this.#length > 0) {
      throw new MuxProtocolError("truncated", "Mux.Cool stream ended inside a frame");
    }
  }

  #frame(): Frame | null {
    if (this.#meta === null) {
      if (this.#length < 2) return null;
      const head = this.#peek(2);
      const metaLen = (head[0] << 8) | head[1];
      if (metaLen > MAX_METADATA || metaLen < 4) {
        throw new MuxProtocolError("bad-length", `Mux.Cool metadata length ${metaLen}`);
      }
      if (this.#length < 2 + metaLen) return null;
      this.#meta = parseMetadata(this.#peek(2 + metaLen).subarray(2));
    }
    const m = this.#meta;
    let total = 2 + m.metaLen;
    let dataLen = -1;
    if (m.hasData) {
      if (this.#length < total + 2) return null;
      const b = this.#peek(total + 2);
      dataLen = (b[total] << 8) | b[total + 1];
      total += 2 + dataLen;
    }
    if (this.#length < total) return null;
    const bytes = this.#peek(total);
    this.#consume(total);
    this.#meta = null;
    return dataLen < 0 ? m.frame : { ...m.frame, data: bytes.subarray(total - dataLen, total) };
  }

  // The first n (≤ length) bytes as one array: a view of the first piece when it holds them,
  // else a copy of exactly n bytes that replaces the pieces it covers.
  #peek(n: number): Uint8Array {
    const first = this.#pieces[0].bytes;
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const b = this.#pieces[i].bytes;
      const k = Math.min(b.length, n - filled);
      out.set(b.subarray(0, k), filled);
      filled += k;
      if (k < b.length) this.#pieces[i].bytes = b.subarray(k);
      else i++;
    }
    this.#pieces.splice(0, i, { bytes: out, owned: true });
    return out;
  }

  #consume(n: number): void {
    this.#length -= n;
    let i = 0;
    while (n > 0) {
      const b = this.#pieces[i].bytes;
      if (b.length <= n) {
        n -= b.length;
        i++;
      } else {
        this.#pieces[i].bytes = b.subarray(n);
        n = 0;
      }
    }
    if (i > 0) this.#pieces.splice(0, i);
  }

  #own(): void {
    for (const p of this.#pieces) {
      if (!p.owned) {
        p.bytes = p.bytes.slice();
        p.owned = true;
      }
    }
  }
}
