/** Rate limits for log lines that a client can trigger again and again. */

/** Lets one line per key through every `intervalMs` and counts the ones held back. */
export class LogThrottle {
  readonly #intervalMs: number;
  readonly #clock: () => number;
  readonly #keys = new Map<string, { at: number; held: number }>();
  readonly #maxKeys: number;

  /** A throttle of one line per key per `intervalMs`, keeping at most `maxKeys` keys. */
  constructor(intervalMs: number, clock: () => number = Date.now, maxKeys = 10_000) {
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  /**
   * Whether a line for `key` may be written now: null if not (it is counted), else how many
   * lines for the key were held back since the last one written.
   */
  pass(key: string): number | null {
    const now = this.#clock();
    const k = this.#keys.get(key);
    if (k && now - k.at < this.#intervalMs) {
      k.held++;
      return null;
    }
    // A full table starts over rather than growing: at worst a few lines more get through.
    if (!k && this.#keys.size >= this.#maxKeys) this.#keys.clear();
    this.#keys.set(key, { at: now, held: 0 });
    return k?.held ?? 0;
  }
}
