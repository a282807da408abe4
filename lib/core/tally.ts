/** Counts keyed by a tuple of label values: what metrics are made of. */

/** A set of counters, one per distinct tuple of labels. */
export class Tally {
  readonly #counts = new Map<string, { labels: readonly string[]; n: number }>();

  /** Adds `n` to the counter of `labels`. */
  add(labels: readonly string[], n = 1): void {
    const key = labels.join("\u0000");
    const c = this.#counts.get(key);
    if (c) c.n += n;
    else this.#counts.set(key, { labels: [...labels], n });
  }

  /** Every counter with its labels, in the order first counted. */
  entries(): [readonly string[], number][] {
    return [...this.#counts.values()].map((c) => [c.labels, c.n]);
  }
}
