/**
 * A scratch array reused across calls on a hot path (per read, per write): it grows to what is
 * asked, and after a run of asks that need a quarter of it or less it is replaced by a fitting one,
 * so a connection that moved bulk data does not keep bulk-sized arrays once its traffic is small.
 */

/** Asks in a row that need at most a quarter of the array before it is replaced. */
const SMALL_USES_TO_SHRINK = 4;

/** One reusable array; what get() returns is valid until the next get(). */
export class ReusableBuffer {
  #buf = new Uint8Array(0);
  #smallUses = 0;

  /** An array of exactly `n` bytes (a view of the kept one). */
  get(n: number): Uint8Array {
    const buf = this.#buf;
    this.#smallUses = n <= buf.length / 4 ? this.#smallUses + 1 : 0;
    if (n > buf.length || this.#smallUses >= SMALL_USES_TO_SHRINK) {
      this.#buf = new Uint8Array(n);
      this.#smallUses = 0;
    }
    return this.#buf.subarray(0, n);
  }
}
