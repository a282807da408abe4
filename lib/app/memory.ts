/**
 * Memory housekeeping of a running process. Every few seconds the shared buffer pool drops the
 * arrays no connection borrowed since the last look; and when V8 has just freed a good deal (a
 * collection after a load), glibc's malloc is asked to hand its free pages back to the OS.
 * glibc keeps freed memory mapped for reuse, and the arrays of a thousand tunnels leave holes it
 * cannot shrink past, so without `malloc_trim` a process's RSS stays at its peak for good.
 */
import { type BufferPool, bufferPool } from "../core/buffer_pool.ts";
import type { Logger } from "../log/mod.ts";

/** How often the housekeeping looks, ms. */
export const HOUSEKEEPING_MS = 5_000;

/** What V8's heap and array buffers must have shrunk by from their peak since the last trim, bytes. */
export const TRIM_AFTER_FREED = 8 * 1024 * 1024;

/** The least time between two trims, ms (a trim under load only makes pages fault back in). */
export const MIN_TRIM_GAP_MS = 15_000;

/** The parts of Deno.memoryUsage() the housekeeping reads, bytes. */
export interface MemoryFigures {
  /** Resident set size. */
  readonly rss: number;
  /** V8's heap, committed. */
  readonly heapTotal: number;
  /** Memory of array buffers and other objects V8 accounts for outside its heap. */
  readonly external: number;
}

/** How the housekeeping is done; tests pass their own parts. */
export interface HousekeepingOptions {
  /** The pool to shrink (default: the process's). */
  readonly pool?: BufferPool;
  /** Reads memory (default: Deno.memoryUsage). */
  readonly usage?: () => MemoryFigures;
  /** Hands free heap pages back to the OS; null where there is no way (default: glibc's). */
  readonly trim?: (() => void) | null;
  /** Milliseconds now (default: performance.now). */
  readonly now?: () => number;
  /** Where a trim is reported, at debug level. */
  readonly logger?: Logger;
}

/** A running housekeeping. */
export interface Housekeeping {
  /** One look now (the timer calls it every HOUSEKEEPING_MS); true if it trimmed. */
  tick(): boolean;
  /** Stops the timer. */
  stop(): void;
}

/**
 * glibc's `malloc_trim(0)` through FFI, or null: not Linux, no --allow-ffi (it is never asked
 * for), or a libc without it (musl). Opened on first use, so a process that never trims never
 * loads it. Takes one integer and returns one, so no pointer crosses.
 */
export function glibcTrim(): (() => void) | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  let fn: (() => void) | null | undefined;
  return () => {
    if (fn === undefined) {
      try {
        const lib = Deno.dlopen("libc.so.6", {
          malloc_trim: { parameters: ["usize"], result: "i32" },
        });
        fn = () => void lib.symbols.malloc_trim(0n);
      } catch {
        fn = null; // not glibc: nothing to trim with
      }
    }
    fn?.();
  };
}

/** Starts the housekeeping timer (unref'd: it never keeps the process alive). */
export function startHousekeeping(opts: HousekeepingOptions = {}): Housekeeping {
  const pool = opts.pool ?? bufferPool;
  const usage = opts.usage ?? (() => Deno.memoryUsage());
  const trim = opts.trim === undefined ? glibcTrim() : opts.trim;
  const now = opts.now ?? (() => performance.now());
  const held = (m: MemoryFigures) => m.heapTotal + m.external;
  // The most V8 held since the last trim: what it let go of since is what malloc may hold free.
  let peak = held(usage());
  let lastTrim = -Infinity;
  const tick = (): boolean => {
    pool.shrink();
    const m = usage();
    peak = Math.max(peak, held(m));
    const freed = peak - held(m);
    if (!trim || freed < TRIM_AFTER_FREED || now() - lastTrim < MIN_TRIM_GAP_MS) return false;
    lastTrim = now();
    peak = held(m);
    trim();
    if (opts.logger?.enabled("debug")) {
      const mib = (n: number) => (n / 1048576).toFixed(1);
      opts.logger.debug(
        `memory: V8 freed ${mib(freed)} MiB; RSS ${mib(m.rss)} → ${
          mib(usage().rss)
        } MiB after trim`,
      );
    }
    return true;
  };
  const timer = setInterval(tick, HOUSEKEEPING_MS);
  Deno.unrefTimer(timer);
  return { tick, stop: () => clearInterval(timer) };
}
