/**
 * Wall-clock time as denoray uses it: the system clock, plus the offset an NTP sync measured.
 * Whatever needs the time (VMess request timestamps, the server's ±120 s window) is handed a
 * Clock rather than reading Date.now(), so that the offset applies and tests can shift it.
 */

/** Milliseconds since the Unix epoch. */
export type Clock = () => number;

/** The system clock, uncorrected. */
export const systemClock: Clock = () => Date.now();

/** A clock that runs `offsetMs` ahead of a base clock; the offset is set by each NTP sync. */
export class OffsetClock {
  readonly #base: Clock;
  #offsetMs = 0;

  /** A clock over `base` (the system clock unless told), with no offset yet. */
  constructor(base: Clock = systemClock) {
    this.#base = base;
  }

  /** The corrected time, ms since the epoch (a bound Clock, safe to pass around). */
  readonly now: Clock = () => this.#base() + this.#offsetMs;

  /** The current correction, ms (positive: the base clock is behind). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Sets the correction. */
  setOffset(ms: number): void {
    this.#offsetMs = ms;
  }
}

/** Whole seconds since the epoch by `clock` (VMess timestamps). */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock() / 1000);
}
