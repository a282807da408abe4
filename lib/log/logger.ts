/** Leveled error log and V2Ray-style access log, to stderr or to files. */

/** Log levels in V2Ray's order; "none" silences the error log. */
export type LogLevel = "debug" | "info" | "warning" | "error" | "none";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3, none: 4 };

/** Where a log goes. */
export interface LogSink {
  /** Writes one line (without the newline). */
  writeLine(line: string): void;
  /** Opens its file again under the same name (after logrotate moved it); throws if it cannot. */
  reopen?(): void;
  /** Releases its file; no line is written after. */
  close?(): void;
}

const encoder = new TextEncoder();

/** A sink on stderr. */
export const stderrSink: LogSink = {
  writeLine(line) {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  },
};

/**
 * A sink appending to a file, written synchronously so lines never interleave; reopen() opens the
 * name again (the new file first, so a failure keeps the old one).
 */
export function fileSink(path: string): LogSink {
  const open = () => Deno.openSync(path, { append: true, create: true, write: true });
  let file: Deno.FsFile | null = open();
  return {
    writeLine(line) {
      if (!file) return;
      const b = encoder.encode(line + "\n");
      let o = 0;
      while (o < b.length) o += file.writeSync(b.subarray(o));
    },
    reopen() {
      if (!file) return;
      const next = open();
      file.close();
      file = next;
    },
    close() {
      file?.close();
      file = null;
    },
  };
}

/** A sink that keeps lines in memory (tests). */
export function memorySink(lines: string[]): LogSink {
  return { writeLine: (line) => lines.push(line) };
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: matching them is the point.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `s` with every control character written as an escape (`\x0a`, `\u2028`), so that nothing a
 * peer sends can start a new log line or move the terminal's cursor.
 */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16)}`;
  });
}

function stamp(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** The process logger: error log filtered by level, access log unfiltered. */
export class Logger {
  #level: number;
  #errorSink: LogSink;
  #accessSink: LogSink | null;

  /** A logger at `level`; the access log is off when `accessSink` is null. */
  constructor(
    level: LogLevel,
    errorSink: LogSink = stderrSink,
    accessSink: LogSink | null = stderrSink,
  ) {
    this.#level = RANK[level];
    this.#errorSink = errorSink;
    this.#accessSink = accessSink;
  }

  /**
   * Opens every log file again under its name (logrotate moved the old one away); a file that
   * cannot be reopened keeps being written where it was. Returns why, one line per failure.
   */
  reopen(): string[] {
    const failures: string[] = [];
    for (const sink of new Set([this.#errorSink, this.#accessSink])) {
      try {
        sink?.reopen?.();
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    return failures;
  }

  /**
   * From now on writes at `level` to these sinks (a reloaded config's `log` section), and
   * closes the sinks it wrote to before.
   */
  redirect(level: LogLevel, errorSink: LogSink, accessSink: LogSink | null): void {
    const old = new Set([this.#errorSink, this.#accessSink]);
    this.#level = RANK[level];
    this.#errorSink = errorSink;
    this.#accessSink = accessSink;
    for (const sink of old) {
      if (sink !== errorSink && sink !== accessSink) sink?.close?.();
    }
  }

  /** Whether lines at `level` are written (to skip building costly messages). */
  enabled(level: Exclude<LogLevel, "none">): boolean {
    return RANK[level] >= this.#level;
  }

  #log(level: Exclude<LogLevel, "none">, msg: string): void {
    if (RANK[level] < this.#level) return;
    this.#errorSink.writeLine(
      `${stamp()} [${level[0].toUpperCase()}${level.slice(1)}] ${escapeControl(msg)}`,
    );
  }

  /** Debug detail. */
  debug(msg: string): void {
    this.#log("debug", msg);
  }
  /** Normal events. */
  info(msg: string): void {
    this.#log("info", msg);
  }
  /** Something odd that the process survives. */
  warning(msg: string): void {
    this.#log("warning", msg);
  }
  /** A failure. */
  error(msg: string): void {
    this.#log("error", msg);
  }

  /** One access line in V2Ray's form: `from tcp:1.2.3.4:5 accepted tcp:example.com:443 [in -> out]`. */
  access(line: string): void {
    this.#accessSink?.writeLine(`${stamp()} ${escapeControl(line)}`);
  }
}

/** A logger that writes nothing (tests, benchmarks). */
export const silentLogger: Logger = new Logger("none", { writeLine() {} }, null);
