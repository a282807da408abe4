/** Connections open now, per outbound tag (a gauge for metrics). */

/** Counts what is open per key; each open() hands back its own release. */
export class ActiveCounts {
  readonly #counts = new Map<string, number>();

  /** Counts one more under `key`; the returned function (idempotent) counts it closed. */
  open(key: string): () => void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#counts.set(key, this.#counts.get(key)! - 1);
    };
  }

  /** Every key ever opened, with what is open under it now. */
  entries(): [string, number][] {
    return [...this.#counts];
  }
}
