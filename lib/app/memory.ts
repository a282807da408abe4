/**
 * Memory housekeeping of a running process. Every few seconds the shared buffer pool drops the
 * arrays no connection borrowed since the last look. When the data path has gone quiet after V8
 * grew by a good deal, V8 is asked for a full collection (where the runtime exposes `gc`, as the
 * launcher's --expose-gc does; otherwise V8's own idle collection comes 15–30 s later). When V8
 * has freed a good deal either way, glibc's malloc is asked to hand its free pages back to the
 * OS: glibc keeps freed memory mapped for reuse, and the arrays of a thousand tunnels leave holes
 * it cannot shrink past, so without `malloc_trim` a process's RSS stays at its peak for good.
 */
import { type BufferPool, bufferPool } from "../core/buffer_pool.ts";
import type { Logger } from "../log/mod.ts";

/** How often the housekeeping looks, ms. */
export const HOUSEKEEPING_MS = 5_000;

/** When it looks first, ms after it starts (right after the listeners are up). */
export const FIRST_LOOK_MS = 1_000;

/** What V8's heap and array buffers must have shrunk by from their peak since the last trim, bytes. */
export const TRIM_AFTER_FREED = 8 * 1024 * 1024;

/** The least time between two trims, ms (a trim under load only makes pages fault back in). */
export const MIN_TRIM_GAP_MS = 15_000;

/** What V8 must have grown by since its low point before a quiet look collects, bytes. */
export const COLLECT_AFTER_GROWTH = 32 * 1024 * 1024;

/** Buffer borrows between two looks below which the data path counts as quiet. */
export const QUIET_BORROWS = 64;

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
  /** A full V8 collection; null where there is none (default: `gc` when exposed). */
  readonly collect?: (() => void) | null;
  /** Milliseconds now (default: performance.now). */
  readonly now?: () => number;
  /** Where a trim is reported, at debug level. */
  readonly logger?: Logger;
}

/** A running housekeeping. */
export interface Housekeeping {
  /** One look now (the timers call it at FIRST_LOOK_MS, then every HOUSEKEEPING_MS); true if it trimmed. */
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

/** V8's `gc` when the runtime exposes it (--expose-gc), as a full, memory-reducing collection. */
export function exposedGc(): (() => void) | null {
  const gc = (globalThis as { gc?: (options?: unknown) => void }).gc;
  return gc ? () => gc({ type: "major", execution: "sync", flavor: "last-resort" }) : null;
}

/** Starts the housekeeping timers (unref'd: they never keep the process alive). */
export function startHousekeeping(opts: HousekeepingOptions = {}): Housekeeping {
  const pool = opts.pool ?? bufferPool;
  const usage = opts.usage ?? (() => Deno.memoryUsage());
  const trim = opts.trim === undefined ? glibcTrim() : opts.trim;
  const collect = opts.collect === undefined ? exposedGc() : opts.collect;
  const now = opts.now ?? (() => performance.now());
  const held = (m: MemoryFigures) => m.heapTotal + m.external;
  // The most V8 held since the last trim (what it let go of since is what malloc may hold free),
  // and the least since the last collection here (what it grew by since is what a quiet look
  // collects).
  let peak = held(usage());
  let low = peak;
  let lastTrim = -Infinity;
  let borrows = pool.stats().borrows;
  // The first look trims whatever start-up left free: loading the config and compiling the
  // program (and, on a first start, writing Deno's code cache, ~25 MiB) free more than they keep.
  let first = true;
  const tick = (): boolean => {
    pool.shrink();
    const quiet = pool.stats().borrows - borrows < QUIET_BORROWS;
    borrows = pool.stats().borrows;
    let m = usage();
    peak = Math.max(peak, held(m));
    if (collect && quiet && held(m) - low >= COLLECT_AFTER_GROWTH) {
      collect();
      m = usage();
      low = held(m);
    }
    low = Math.min(low, held(m));
    const freed = peak - held(m);
    const startUp = first;
    first = false;
    if (!trim || (!startUp && freed < TRIM_AFTER_FREED) || now() - lastTrim < MIN_TRIM_GAP_MS) {
      return false;
    }
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
  const firstLook = setTimeout(tick, FIRST_LOOK_MS);
  const timer = setInterval(tick, HOUSEKEEPING_MS);
  Deno.unrefTimer(firstLook);
  Deno.unrefTimer(timer);
  return {
    tick,
    stop: () => {
      clearTimeout(firstLook);
      clearInterval(timer);
    },
  };
}
