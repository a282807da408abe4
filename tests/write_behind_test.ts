/** WriteBehind: order, batching behind a write in flight, backpressure, errors, arrays given back. */
import fc from "fast-check";
import { assert, assertEquals } from "./assert.ts";
import { fuzzParams } from "./helpers/fuzz.ts";
import {
  BATCH_BYTES,
  BATCH_PIECE_MAX,
  GATHER_TURNS,
  WriteBehind,
} from "../lib/net/write_behind.ts";
import { bufferPool } from "../lib/core/buffer_pool.ts";
import type { ByteStream } from "../lib/core/stream.ts";

/** A sink whose writes finish when `release()` is called (or at once with `auto`). */
class Sink implements ByteStream {
  readonly writes: Uint8Array[] = [];
  #waiting: (() => void)[] = [];
  auto = false;
  fail: Error | null = null;
  read(): Promise<Uint8Array | null> {
    return Promise.resolve(null);
  }
  async write(data: Uint8Array): Promise<void> {
    if (this.fail) throw this.fail;
    this.writes.push(data.slice()); // the array goes back to its owner once this resolves
    if (!this.auto) await new Promise<void>((r) => this.#waiting.push(r));
    if (this.fail) throw this.fail;
  }
  /** Finishes the writes waiting now. */
  release(): void {
    for (const r of this.#waiting.splice(0)) r();
  }
  get waiting(): number {
    return this.#waiting.length;
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

const flat = (xs: Uint8Array[]) => {
  const out = new Uint8Array(xs.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of xs) out.set(x, (at += x.length) - x.length);
  return out;
};

/** Lets the writer's deferred start (GATHER_TURNS turns) and any finished write run. */
const settle = async () => {
  for (let i = 0; i < GATHER_TURNS + 8; i++) await null;
};

Deno.test("write behind: small pieces pushed while a write is in flight become one write", async () => {
  const sink = new Sink();
  const written: number[] = [];
  const w = new WriteBehind(sink, (n) => written.push(n), () => {});
  await w.push(new Uint8Array(100).fill(1));
  await settle();
  assertEquals(sink.waiting, 1); // the first piece is on its way
  // The reader is not held up by the write in flight: three more pieces are taken at once.
  for (const v of [2, 3, 4]) await w.push(new Uint8Array(1000).fill(v));
  assertEquals(sink.writes.length, 1);
  sink.release();
  await settle();
  assertEquals(sink.writes.map((x) => x.length), [100, 3000]);
  sink.release();
  await w.drain();
  assertEquals(written, [100, 3000]);
  assertEquals(flat(sink.writes)[100], 2);
  assertEquals(flat(sink.writes)[3099], 4);
});

Deno.test("write behind: a full batch waits for the write before it (backpressure)", async () => {
  const sink = new Sink();
  const w = new WriteBehind(sink, () => {}, () => {});
  await w.push(new Uint8Array(10));
  await settle();
  const piece = new Uint8Array(BATCH_PIECE_MAX);
  let pushed = 0;
  const pushing = (async () => {
    for (let i = 0; i < 4; i++) {
      await w.push(piece);
      pushed++;
    }
  })();
  await settle();
  assertEquals(pushed, BATCH_BYTES / BATCH_PIECE_MAX); // one batch gathered, then it waits
  sink.auto = true;
  sink.release();
  await pushing;
  await w.drain();
  assertEquals(flat(sink.writes).length, 10 + 4 * BATCH_PIECE_MAX);
});

Deno.test("write behind: a large piece goes straight out, after what was gathered before it", async () => {
  const sink = new Sink();
  sink.auto = true;
  const w = new WriteBehind(sink, () => {}, () => {});
  await w.push(new Uint8Array(5).fill(7));
  const big = new Uint8Array(BATCH_PIECE_MAX + 1).fill(9);
  await w.push(big);
  await w.drain();
  assertEquals(sink.writes.map((x) => x.length), [5, BATCH_PIECE_MAX + 1]);
  assertEquals(sink.writes[0][0], 7);
});

Deno.test("write behind: a failed write is reported once, then push and drain reject", async () => {
  const sink = new Sink();
  const errors: unknown[] = [];
  const w = new WriteBehind(sink, () => {}, (e) => errors.push(e));
  const lentBefore = bufferPool.stats().lent;
  await w.push(new Uint8Array(10));
  await settle();
  sink.fail = new Error("reset");
  sink.release();
  await settle();
  assertEquals(errors.length, 1);
  assertEquals(bufferPool.stats().lent, lentBefore); // nothing in flight: the arrays are back
  let rejected = 0;
  await w.push(new Uint8Array(1)).catch(() => rejected++);
  await w.drain().catch(() => rejected++);
  assertEquals(rejected, 2);
  assertEquals(errors.length, 1);
});

Deno.test("write behind: property: any pieces, any write timing: the same bytes in order, arrays given back", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 40 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
      async (sizes, releases) => {
        const sink = new Sink();
        const lentBefore = bufferPool.stats().lent;
        let counted = 0;
        const w = new WriteBehind(sink, (n) => counted += n, () => {});
        const pieces = sizes.map((n, i) => new Uint8Array(n).fill(i & 255));
        // The "reader" reuses one array, as a stream's read buffer is reused.
        const readBuffer = new Uint8Array(40_000);
        const pushing = (async () => {
          for (const p of pieces) {
            readBuffer.set(p);
            await w.push(readBuffer.subarray(0, p.length));
            readBuffer.fill(0xee, 0, p.length); // the next read overwrites it
          }
          await w.drain();
        })();
        let done = false;
        pushing.finally(() => done = true);
        for (let i = 0; !done; i++) {
          if (releases[i % releases.length] || i % 16 === 15) sink.release();
          await null;
        }
        await pushing;
        const expected = flat(pieces);
        assertEquals(counted, expected.length);
        assert(
          flat(sink.writes).every((b, i) => b === expected[i]),
          "bytes out of order or overwritten",
        );
        assertEquals(bufferPool.stats().lent, lentBefore);
      },
    ),
    fuzzParams({ numRuns: 200 }),
  );
});
