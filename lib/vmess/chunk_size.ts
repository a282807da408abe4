/**
 * Chunk size fields of the VMess body (spec §4.2, §4.8): plain u16, SHAKE128-masked u16, or the
 * AEAD-sealed length of option A, plus the global-padding draw that shares the SHAKE stream.
 * Callers draw a chunk's padding *before* encoding or decoding its size: V2Ray and sing-vmess both
 * take the padding draw first, and masks and padding come from one stream.
 */
import { type Shake128Stream, TAG_LENGTH } from "../crypto/mod.ts";
import { ProtocolError } from "../core/errors.ts";
import type { AeadChunkAuth } from "./chunk_auth.ts";

/** The largest padding a chunk can carry (a draw mod 64). */
export const MAX_PADDING = 63;

/** Largest value a size field can carry. */
export const MAX_CHUNK_SIZE = 0xffff;

/** Writes and reads one chunk's size field; the size counts the sealed payload plus padding. */
export interface ChunkSizeCodec {
  /** Bytes of the field on the wire: 2, or 18 for an authenticated length. */
  readonly fieldLength: number;
  /** Writes the field for `size` (≤ 65535) into `out` at `offset`. */
  encode(size: number, out: Uint8Array, offset: number): void;
  /** The size in a `fieldLength`-byte field; throws ProtocolError when it cannot be valid. */
  decode(field: Uint8Array): number;
  /** Frees what it owns (option A's AEAD context). */
  dispose(): void;
}

/** Option S without M: the size as a plain u16be. */
export class PlainSize implements ChunkSizeCodec {
  /** Two bytes. */
  readonly fieldLength = 2;

  /** u16be(size). */
  encode(size: number, out: Uint8Array, offset: number): void {
    out[offset] = size >>> 8;
    out[offset + 1] = size & 0xff;
  }

  /** The u16be. */
  decode(field: Uint8Array): number {
    return (field[0] << 8) | field[1];
  }

  /** Nothing to free. */
  dispose(): void {}
}

/** Option M: the size XOR the next u16 of SHAKE128(direction IV). */
export class MaskedSize implements ChunkSizeCodec {
  /** Two bytes. */
  readonly fieldLength = 2;
  readonly #shake: Shake128Stream;

  /** Masks with draws from `shake`, the stream the padding also draws from. */
  constructor(shake: Shake128Stream) {
    this.#shake = shake;
  }

  /** u16be(size XOR mask); consumes one draw. */
  encode(size: number, out: Uint8Array, offset: number): void {
    const v = size ^ this.#shake.nextUint16();
    out[offset] = v >>> 8;
    out[offset + 1] = v & 0xff;
  }

  /** Unmasks; consumes one draw. */
  decode(field: Uint8Array): number {
    return ((field[0] << 8) | field[1]) ^ this.#shake.nextUint16();
  }

  /** Nothing to free: the SHAKE stream is plain JS state. */
  dispose(): void {}
}

/**
 * Option A (V2Fly 4.41+): the length sealed with its own AEAD and counter, 18 bytes. The sealed
 * value excludes the payload's tag (size − 16), and decoding adds it back, as V2Fly does.
 */
export class AuthenticatedSize implements ChunkSizeCodec {
  /** u16 plus the 16-byte tag. */
  readonly fieldLength = 2 + TAG_LENGTH;
  readonly #auth: AeadChunkAuth;
  // Reused for every chunk: the AEAD copies its input.
  readonly #plain = new Uint8Array(2);

  /** Seals lengths with `auth` (keyed by KDF16(request key, "auth_len"), request IV). */
  constructor(auth: AeadChunkAuth) {
    this.#auth = auth;
  }

  /** Seals u16be(size − 16); `size` already includes the payload's tag. */
  encode(size: number, out: Uint8Array, offset: number): void {
    const length = size - TAG_LENGTH;
    this.#plain[0] = length >>> 8;
    this.#plain[1] = length & 0xff;
    this.#auth.sealInto(this.#plain, out, offset);
  }

  /** Opens the length; a bad tag or a length whose chunk would pass 65535 bytes is refused. */
  decode(field: Uint8Array): number {
    const plain = this.#auth.open(field);
    if (plain === null || plain.length !== 2) {
      throw new ProtocolError("bad-chunk", "authenticated chunk length does not verify");
    }
    const size = ((plain[0] << 8) | plain[1]) + TAG_LENGTH;
    // V2Fly adds the tag length in uint16 and would wrap; such a chunk cannot be meant.
    if (size > MAX_CHUNK_SIZE) {
      throw new ProtocolError(
        "chunk-too-large",
        `authenticated chunk length ${size} exceeds 65535`,
      );
    }
    return size;
  }

  /** Frees the length AEAD's context. */
  dispose(): void {
    this.#auth.dispose();
  }
}

/** Option P: each chunk's padding length, the next SHAKE draw mod 64. */
export class ShakePadding {
  readonly #shake: Shake128Stream;

  /** Draws from `shake`, shared with the size mask. */
  constructor(shake: Shake128Stream) {
    this.#shake = shake;
  }

  /** The next chunk's padding length, 0..63. */
  next(): number {
    return this.#shake.nextUint16() & 63;
  }
}
