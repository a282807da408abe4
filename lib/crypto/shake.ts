/** SHAKE128 as one continuous XOF stream of big-endian u16 draws (VMess chunk masking). */
import { createHash } from "node:crypto";

const FIRST_BLOCK = 256;

/**
 * node:crypto cannot continue an XOF after digest(), so the output is regenerated at twice the
 * length when it runs out: amortised O(1) per draw, and a connection rarely passes a few KiB.
 */
export class Shake128Stream {
  #seed: Uint8Array;
  #out: Uint8Array;
  #pos = 0;

  /** Starts the stream seeded with `seed`. */
  constructor(seed: Uint8Array) {
    this.#seed = seed.slice();
    this.#out = this.#generate(FIRST_BLOCK);
  }

  #generate(n: number): Uint8Array {
    return new Uint8Array(createHash("shake128", { outputLength: n }).update(this.#seed).digest());
  }

  /** The next two bytes of the stream as a big-endian u16. */
  nextUint16(): number {
    if (this.#pos + 2 > this.#out.length) this.#out = this.#generate(this.#out.length * 2);
    const v = (this.#out[this.#pos] << 8) | this.#out[this.#pos + 1];
    this.#pos += 2;
    return v;
  }
}
