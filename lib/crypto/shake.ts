/** SHAKE128 as one continuous XOF stream of big-endian u16 draws (VMess chunk masking). */
import { shake128 as nobleShake128 } from "@noble/hashes/sha3.js";
import { cryptoBackend } from "./select.ts";
import type { CryptoBackend } from "./types.ts";

const FIRST_BLOCK = 256;

/** Output the platform regenerates at most; a stream drawing past it continues in @noble/hashes. */
export const PLATFORM_SHAKE_MAX = 64 * 1024;

/** Bytes squeezed at a time once the stream continues incrementally. */
export const SQUEEZE_BYTES = 4096;

type Xof = ReturnType<typeof nobleShake128.create>;

/**
 * Neither node:crypto nor OpenSSL before 3.3 can continue an XOF after its output was taken, so
 * the platform's output is regenerated at twice the length when it runs out (amortised O(1) per
 * draw; a connection draws 4 bytes per chunk) up to PLATFORM_SHAKE_MAX. A stream that draws more
 * (a long transfer: 16,384 chunks) continues in @noble/hashes, whose XOF squeezes on, so a
 * connection holds at most that much output however long it runs. Plain JS state: nothing to
 * dispose.
 */
export class Shake128Stream {
  readonly #seed: Uint8Array;
  // Bound at creation, like every keyed object: one stream never mixes backends.
  readonly #backend: CryptoBackend;
  #out: Uint8Array;
  #pos = 0;
  #xof: Xof | null = null;

  /** Starts the stream seeded with `seed`. */
  constructor(seed: Uint8Array) {
    this.#seed = seed.slice();
    this.#backend = cryptoBackend();
    this.#out = this.#backend.shake128(this.#seed, FIRST_BLOCK);
  }

  /** Bytes of output the stream holds now (bounded by PLATFORM_SHAKE_MAX). */
  get heldBytes(): number {
    return this.#out.length;
  }

  /** The next two bytes of the stream as a big-endian u16. */
  nextUint16(): number {
    // Every length is even and draws take two bytes, so a refill starts at a fresh position.
    if (this.#pos + 2 > this.#out.length) this.#refill();
    const v = (this.#out[this.#pos] << 8) | this.#out[this.#pos + 1];
    this.#pos += 2;
    return v;
  }

  #refill(): void {
    if (this.#xof === null && this.#out.length * 2 <= PLATFORM_SHAKE_MAX) {
      this.#out = this.#backend.shake128(this.#seed, this.#out.length * 2);
      return;
    }
    if (this.#xof === null) {
      // The same XOF from its start, past the bytes already drawn.
      const drawn = this.#out.length;
      this.#xof = nobleShake128.create({}).update(this.#seed);
      this.#out = new Uint8Array(SQUEEZE_BYTES);
      for (let skipped = 0; skipped < drawn; skipped += SQUEEZE_BYTES) this.#xof.xofInto(this.#out);
    }
    this.#xof.xofInto(this.#out);
    this.#pos = 0;
  }
}
