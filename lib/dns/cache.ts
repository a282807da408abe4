/** A bounded cache whose entries expire at a time given by the caller (no clock inside). */

/** Entries with expiry times, at most `capacity` of them. */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();
  readonly #capacity: number;

  /** A cache holding at most `capacity` entries. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The value under `key` if it has not expired by `now`. */
  get(key: string, now: number): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /**
   * Keeps `value` under `key` until `expires`. When full, expired entries go first, then the
   * oldest stored.
   */
  set(key: string, value: V, expires: number, now: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#capacity) {
      for (const [k, e] of this.#entries) if (e.expires <= now) this.#entries.delete(k);
      while (this.#entries.size >= this.#capacity) {
        this.#entries.delete(this.#entries.keys().next().value!);
      }
    }
    this.#entries.set(key, { value, expires });
  }

  /** Entries held now (some may have expired). */
  get size(): number {
    return this.#entries.size;
  }
}
