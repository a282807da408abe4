/** SHAKE128 as one continuous XOF stream of big-endian u16 draws (VMess chunk masking). */
import { cryptoBackend } from "./select.ts";
import type { CryptoBackend } from "./types.ts";

const FIRST_BLOCK = 256;

/**
 * Neither node:crypto nor OpenSSL before 3.3 can continue an XOF after its output was taken, so
 * the output is regenerated at twice the length when it runs out: amortised O(1) per draw, and
 * a connection draws 4 bytes per chunk. Plain JS state: nothing to dispose.
 */
export class Shake128Stream {
  readonly #seed: Uint8Array;
  // Bound at creation, like every keyed object: one stream never mixes backends.
  readonly #backend: CryptoBackend;
  #out: Uint8Array;
  #pos = 0;

  /** Starts the stream seeded with `seed`. */
  constructor(seed: Uint8Array) {
    this.#seed = seed.slice();
    this.#backend = cryptoBackend();
    this.#out = this.#backend.shake128(this.#seed, FIRST_BLOCK);
  }

  /** The next two bytes of the stream as a big-endian u16. */
  nextUint16(): number {
    if (this.#pos + 2 > this.#out.length) {
      this.#out = this.#backend.shake128(this.#seed, this.#out.length * 2);
    }
    const v = (this.#out[this.#pos] << 8) | this.#out[this.#pos + 1];
    this.#pos += 2;
    return v;
  }
}
