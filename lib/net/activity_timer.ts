/** An inactivity timer whose timeout can change (V2Ray's connIdle → uplinkOnly/downlinkOnly). */

/** Calls `onTimeout` once no activity was seen for the current timeout. */
export class ActivityTimer {
  #timeoutMs: number;
  #last = Date.now();
  #handle: ReturnType<typeof setTimeout> | undefined;
  #onTimeout: () => void;
  #stopped = false;

  /** Starts timing with `timeoutMs` (0 fires at once). */
  constructor(timeoutMs: number, onTimeout: () => void) {
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
    this.#arm(timeoutMs);
  }

  // One timer re-armed lazily: activity only stamps a time, so a busy relay costs no timer calls.
  #arm(ms: number): void {
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = setTimeout(() => this.#check(), Math.max(0, ms));
  }

  #check(): void {
    this.#handle = undefined;
    if (this.#stopped) return;
    const idle = Date.now() - this.#last;
    if (idle >= this.#timeoutMs) {
      this.stop();
      this.#onTimeout();
    } else this.#arm(this.#timeoutMs - idle);
  }

  /** Records activity now. */
  touch(): void {
    this.#last = Date.now();
  }

  /** Replaces the timeout, counted from the last activity. */
  setTimeout(ms: number): void {
    if (this.#stopped) return;
    this.#timeoutMs = ms;
    this.#arm(ms - (Date.now() - this.#last));
  }

  /** Stops the timer for good. */
  stop(): void {
    this.#stopped = true;
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
