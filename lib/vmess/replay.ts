/** Replay protection (spec §2.6): AEAD AuthIDs and request body key/IV pairs, memory-bounded. */

/** What a filter remembers, as plain data (to carry it across a restart). */
export interface ReplaySnapshot {
  /** When the newer generation started, unix seconds. */
  readonly swappedAt: number;
  /** Keys of the newer generation. */
  readonly current: readonly string[];
  /** Keys of the older generation. */
  readonly previous: readonly string[];
}

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
  #added = 0;

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
    this.#added++;
    return true;
  }

  /** Keys recorded since this filter was made (to tell whether a saved snapshot is stale). */
  get added(): number {
    return this.#added;
  }

  /** Everything remembered now. */
  snapshot(): ReplaySnapshot {
    return {
      swappedAt: this.#swappedAt,
      current: [...this.#current],
      previous: [...this.#previous],
    };
  }

  /**
   * Remembers again what a snapshot of an earlier run held and is still inside its window at
   * `nowSec`. Restored keys join the older generation, so they are kept at least one more period
   * from now: longer than they can still be replayed.
   */
  restore(snap: ReplaySnapshot, nowSec: number): void {
    const age = nowSec - snap.swappedAt;
    if (age < 0 || age >= 2 * this.#periodSec) return;
    const keep = age < this.#periodSec ? [...snap.current, ...snap.previous] : snap.current;
    for (const k of keep) {
      if (this.#previous.size >= this.#cap) break;
      this.#previous.add(k);
    }
  }
}

/** A snapshot read back from storage, or null if it is not one (a corrupt or foreign file). */
export function parseReplaySnapshot(u: unknown): ReplaySnapshot | null {
  if (typeof u !== "object" || u === null) return null;
  const o = u as Record<string, unknown>;
  const keys = (v: unknown) =>
    Array.isArray(v) && v.every((k) => typeof k === "string" && /^[0-9a-f]{1,128}$/.test(k));
  if (typeof o.swappedAt !== "number" || !keys(o.current) || !keys(o.previous)) return null;
  return {
    swappedAt: o.swappedAt,
    current: o.current as string[],
    previous: o.previous as string[],
  };
}
