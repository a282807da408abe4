/**
 * Per-security chunk authenticators for the VMess body (spec §4.3, §4.4, §4.6): they turn one
 * chunk's plaintext into its sealed payload and back. Sizes and padding live in chunk_size.ts.
 */
import { type AeadAlgorithm, createAead, fnv1a32, md5, TAG_LENGTH } from "../crypto/mod.ts";

/** Seals and opens the payload of one chunk; stateful (AEAD nonces count chunks). */
export interface ChunkAuth {
  /** Bytes a sealed payload adds to its plaintext (16 for AEAD, 4 for FNV, 0 for none). */
  readonly overhead: number;
  /** Whether `open` returns a view of its input (then the input must outlive the plaintext). */
  readonly opensToView: boolean;
  /** Writes the sealed `plaintext` (plaintext.length + overhead bytes) into `out` at `offset`. */
  sealInto(plaintext: Uint8Array, out: Uint8Array, offset: number): void;
  /** The plaintext of `sealed`, or null when it does not verify; it may be a view of `sealed`. */
  open(sealed: Uint8Array): Uint8Array | null;
  /**
   * Writes the plaintext of `sealed` into `out` at `offset` (room for sealed.length − overhead
   * bytes); returns its length, or −1 when it does not verify.
   */
  openInto(sealed: Uint8Array, out: Uint8Array, offset: number): number;
  /** Frees what it owns (an AEAD context); later calls throw. */
  dispose(): void;
}

/** The 32-byte ChaCha20-Poly1305 key VMess derives from a 16-byte key: MD5(k) ‖ MD5(MD5(k)). */
export function chacha20Poly1305Key(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  const first = md5(key);
  out.set(first, 0);
  out.set(md5(first), 16);
  return out;
}

/**
 * AES-128-GCM or ChaCha20-Poly1305 with nonce = u16be(counter) ‖ iv[2..12). The counter is a
 * uint16 that wraps at 65536 as in V2Ray (a nonce reuse of the original design, kept for interop).
 * Also used, with its own instance, for the authenticated length of option A.
 */
export class AeadChunkAuth implements ChunkAuth {
  /** Always the 16-byte tag. */
  readonly overhead = TAG_LENGTH;
  /** Decryption writes a new buffer. */
  readonly opensToView = false;
  readonly #aead;
  readonly #nonce: Uint8Array;
  #counter = 0;

  /** `key` is the 16-byte direction key; the ChaCha key is derived from it here. */
  constructor(algorithm: AeadAlgorithm, key: Uint8Array, iv: Uint8Array) {
    if (key.length !== 16 || iv.length < 12) {
      throw new RangeError("AEAD chunks need a 16-byte key and IV");
    }
    this.#aead = createAead(
      algorithm,
      algorithm === "chacha20-poly1305" ? chacha20Poly1305Key(key) : key,
    );
    // Both backends read the nonce during the call only, so one buffer is rewritten per chunk.
    this.#nonce = iv.slice(0, 12);
  }

  #nextNonce(): Uint8Array {
    this.#nonce[0] = this.#counter >>> 8;
    this.#nonce[1] = this.#counter & 0xff;
    this.#counter = (this.#counter + 1) & 0xffff;
    return this.#nonce;
  }

  /** Seals under the next nonce. */
  sealInto(plaintext: Uint8Array, out: Uint8Array, offset: number): void {
    this.#aead.sealInto(this.#nextNonce(), plaintext, out, offset);
  }

  /** Opens under the next nonce; the counter advances even when the tag fails, as in V2Ray. */
  open(sealed: Uint8Array): Uint8Array | null {
    return this.#aead.open(this.#nextNonce(), sealed);
  }

  /** open() into `out` at `offset`, without a new array. */
  openInto(sealed: Uint8Array, out: Uint8Array, offset: number): number {
    const nonce = this.#nextNonce();
    if (sealed.length < TAG_LENGTH) return -1;
    return this.#aead.openInto(nonce, sealed, out, offset) ? sealed.length - TAG_LENGTH : -1;
  }

  /** Frees the AEAD's context. */
  dispose(): void {
    this.#aead.dispose();
  }
}

/** Legacy (aes-128-cfb) chunks: FNV1a32(plaintext) big-endian ‖ plaintext; CFB is applied outside. */
export class FnvChunkAuth implements ChunkAuth {
  /** The 4-byte checksum. */
  readonly overhead = 4;
  /** The plaintext is the tail of the payload. */
  readonly opensToView = true;

  /** Writes the checksum, then the plaintext. */
  sealInto(plaintext: Uint8Array, out: Uint8Array, offset: number): void {
    new DataView(out.buffer, out.byteOffset).setUint32(offset, fnv1a32(plaintext));
    out.set(plaintext, offset + 4);
  }

  /** A view of the plaintext when the checksum matches. */
  open(sealed: Uint8Array): Uint8Array | null {
    if (sealed.length < 4) return null;
    const sum = ((sealed[0] << 24) | (sealed[1] << 16) | (sealed[2] << 8) | sealed[3]) >>> 0;
    const plaintext = sealed.subarray(4);
    return fnv1a32(plaintext) === sum ? plaintext : null;
  }

  /** Copies the verified plaintext into `out` at `offset`. */
  openInto(sealed: Uint8Array, out: Uint8Array, offset: number): number {
    const plaintext = this.open(sealed);
    if (plaintext === null) return -1;
    out.set(plaintext, offset);
    return plaintext.length;
  }

  /** Nothing to free. */
  dispose(): void {}
}

/** Security none in packet mode (V2Ray's NoOp authenticator): the payload is the plaintext. */
export class NoneChunkAuth implements ChunkAuth {
  /** Nothing is added. */
  readonly overhead = 0;
  /** The plaintext is the payload. */
  readonly opensToView = true;

  /** Copies the plaintext. */
  sealInto(plaintext: Uint8Array, out: Uint8Array, offset: number): void {
    out.set(plaintext, offset);
  }

  /** The payload itself. */
  open(sealed: Uint8Array): Uint8Array {
    return sealed;
  }

  /** Copies the payload into `out` at `offset`. */
  openInto(sealed: Uint8Array, out: Uint8Array, offset: number): number {
    out.set(sealed, offset);
    return sealed.length;
  }

  /** Nothing to free. */
  dispose(): void {}
}
