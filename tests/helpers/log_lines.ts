/** A log sink for in-process tests that keeps every line and lets a test wait for one. */
import { Logger, type LogLevel, type LogSink } from "../../lib/log/mod.ts";

/** How long waitFor() waits before failing the test (a guard against hanging, not a timing). */
const GUARD_MS = 30_000;

/** Lines written to it, awaitable. */
export class LogLines implements LogSink {
  readonly lines: string[] = [];
  #waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  /** Keeps `line` and wakes who waits for it. */
  writeLine(line: string): void {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((w) => {
      const m = line.match(w.re);
      if (m) w.resolve(m);
      return !m;
    });
  }

  /** A logger at `level` writing both logs here. */
  logger(level: LogLevel = "info"): Logger {
    return new Logger(level, this, this);
  }

  /** The first line, past or future, that matches `re`. */
  waitFor(re: RegExp): Promise<RegExpMatchArray> {
    for (const l of this.lines) {
      const m = l.match(re);
      if (m) return Promise.resolve(m);
    }
    const { promise, resolve, reject } = Promise.withResolvers<RegExpMatchArray>();
    const timer = setTimeout(
      () => reject(new Error(`no log line ${re} in ${GUARD_MS} ms:\n${this.lines.join("\n")}`)),
      GUARD_MS,
    );
    this.#waiters.push({
      re,
      resolve: (m) => {
        clearTimeout(timer);
        resolve(m);
      },
    });
    return promise;
  }

  /** Lines matching `re`, so far. */
  count(re: RegExp): number {
    return this.lines.filter((l) => re.test(l)).length;
  }
}
