/** Memory housekeeping: the pool shrinks every look; a trim follows what V8 freed, not too often. */
import { assert, assertEquals } from "./assert.ts";
import { BufferPool } from "../lib/core/buffer_pool.ts";
import {
  COLLECT_AFTER_GROWTH,
  glibcTrim,
  type MemoryFigures,
  MIN_TRIM_GAP_MS,
  QUIET_BORROWS,
  startHousekeeping,
  TRIM_AFTER_FREED,
} from "../lib/app/memory.ts";

const MiB = 1024 * 1024;

function harness() {
  let figures: MemoryFigures = { rss: 200 * MiB, heapTotal: 40 * MiB, external: 60 * MiB };
  let clock = 0, trims = 0;
  const pool = new BufferPool();
  const h = startHousekeeping({
    pool,
    usage: () => figures,
    trim: () => trims++,
    collect: null,
    now: () => clock,
  });
  return {
    h,
    pool,
    set(heapTotal: number, external: number) {
      figures = { rss: figures.rss, heapTotal: heapTotal * MiB, external: external * MiB };
    },
    advance(ms: number) {
      clock += ms;
    },
    get trims() {
      return trims;
    },
  };
}

Deno.test("housekeeping: a trim once V8 has freed enough since its peak, then not again too soon", () => {
  const t = harness();
  try {
    assert(t.h.tick(), "the first look trims what start-up left free");
    t.advance(MIN_TRIM_GAP_MS);
    assert(!t.h.tick(), "nothing freed since");
    t.set(50, 90); // a load: V8 holds more
    assert(!t.h.tick());
    t.set(45, 90 - TRIM_AFTER_FREED / MiB); // freed 5 + 8 MiB from the peak
    assert(t.h.tick(), "trims after the collection");
    t.set(80, 100);
    t.h.tick();
    t.set(20, 10); // freed again, but within the gap
    t.advance(MIN_TRIM_GAP_MS - 1);
    assert(!t.h.tick(), "too soon after the last trim");
    t.advance(1);
    assert(t.h.tick(), "the drop is still remembered once the gap has passed");
    assertEquals(t.trims, 3);
  } finally {
    t.h.stop();
  }
});

Deno.test("housekeeping: every look shrinks the pool; no trim function, no trim", () => {
  const pool = new BufferPool();
  let figures: MemoryFigures = { rss: 0, heapTotal: 100 * MiB, external: 0 };
  const h = startHousekeeping({
    pool,
    usage: () => figures,
    trim: null,
    collect: null,
    now: () => 1e9,
  });
  try {
    pool.giveBack(pool.borrow(8192));
    assert(!h.tick(), "no way to trim, even at start-up"); // and marks the array unused
    figures = { rss: 0, heapTotal: 0, external: 0 };
    assert(!h.tick(), "no way to trim");
    assertEquals(pool.stats().free, 0, "the unused array was dropped");
  } finally {
    h.stop();
  }
});

Deno.test("housekeeping: once the data path is quiet after V8 grew, one collection, then a trim", () => {
  const pool = new BufferPool();
  let figures: MemoryFigures = { rss: 0, heapTotal: 20 * MiB, external: 0 };
  const calls: string[] = [];
  let clock = 0;
  const h = startHousekeeping({
    pool,
    usage: () => figures,
    trim: () => calls.push("trim"),
    collect: () => {
      calls.push("collect");
      figures = { rss: 0, heapTotal: 22 * MiB, external: 1 * MiB };
    },
    now: () => clock += MIN_TRIM_GAP_MS, // every look is long after the last
  });
  try {
    h.tick(); // the start-up trim
    calls.length = 0;
    figures = { rss: 0, heapTotal: 60 * MiB, external: 20 * MiB }; // a load
    for (let i = 0; i < QUIET_BORROWS; i++) pool.giveBack(pool.borrow(4096));
    h.tick();
    assertEquals(calls, [], "busy: V8 collects when it likes");
    h.tick();
    assertEquals(calls, ["collect", "trim"], "quiet and grown: collected, then trimmed");
    figures = { rss: 0, heapTotal: 22 * MiB + COLLECT_AFTER_GROWTH - 1, external: 1 * MiB };
    h.tick();
    assertEquals(calls.length, 2, "not grown enough since to collect again");
  } finally {
    h.stop();
  }
});

Deno.test("housekeeping: glibc's malloc_trim is found on Linux with --allow-ffi and runs", () => {
  const trim = glibcTrim();
  if (Deno.build.os !== "linux") {
    assertEquals(trim, null);
    return;
  }
  assert(trim, "a trim function on Linux with the FFI permission");
  trim(); // a libc without malloc_trim (musl) is a no-op, glibc's returns free pages
  trim();
});
