/** Replay protection (spec §2.6): AEAD AuthIDs and request body key/IV pairs, memory-bounded. */

/**
 * Remembers keys for at least `periodSec` (two generations, swapped each period). A generation
 * that fills to `cap` swaps early, so memory stays bounded under a flood; the window then shortens.
 */
export class ReplayFilter {
  #current = new Set<string>();
  #previous = new Set<string>();
  #swappedAt: number;
  readonly #periodSec: number;
  readonly #cap: number;

  /** A filter remembering keys for `periodSec` (at most 2 × cap keys). */
  constructor(periodSec: number, cap: number, nowSec: number) {
    this.#periodSec = periodSec;
    this.#cap = cap;
    this.#swappedAt = nowSec;
  }

  /** True if `key` was not seen (and records it); false for a replay. */
  check(key: string, nowSec: number): boolean {
    if (nowSec - this.#swappedAt >= this.#periodSec || this.#current.size >= this.#cap) {
      this.#previous = this.#current;
      this.#current = new Set();
      this.#swappedAt = nowSec;
    }
    if (this.#current.has(key) || this.#previous.has(key)) return false;
    this.#current.add(key);
    return true;
  }
}
