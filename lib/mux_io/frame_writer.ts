/** One ordered queue of frames from every sub-connection into the underlying stream. */
import type { ByteStream } from "../core/stream.ts";
import { bufferPool } from "../core/buffer_pool.ts";
import { encodeFrameInto, type Frame, frameLength } from "../mux/mod.ts";

/** Frames queued beyond this many bytes wait for the next underlying write. */
const BATCH_BYTES = 64 * 1024;

interface Pending {
  readonly frames: readonly Frame[];
  readonly size: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Writes frames in the order they were sent, several senders' frames batched into one underlying
 * write. A send resolves once its frames are handed to the stream, so a sender that awaits it has
 * at most one batch queued and the others interleave with it. Frame data is read at write time, so
 * it must stay untouched until the send resolves (as with any ByteStream write).
 */
export class FrameWriter {
  readonly #stream: ByteStream;
  readonly #onFailure: (e: unknown) => void;
  readonly #queue: Pending[] = [];
  #running = false;
  #failure: { readonly error: unknown } | null = null;

  /** Writes to `stream`; `onFailure` hears of the first write error. */
  constructor(stream: ByteStream, onFailure: (e: unknown) => void) {
    this.#stream = stream;
    this.#onFailure = onFailure;
  }

  /** Queues `frames` (RangeError for one that cannot be encoded); resolves once they are written. */
  send(frames: readonly Frame[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    let size = 0;
    try {
      for (const f of frames) size += frameLength(f);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ frames, size, resolve, reject });
      if (!this.#running) this.#pump();
    });
  }

  /** Resolves once everything sent before it is written. */
  flush(): Promise<void> {
    return this.send([]);
  }

  /** Rejects what is queued and every later send with `error`. */
  fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = { error };
    for (const p of this.#queue.splice(0)) p.reject(error);
  }

  async #pump(): Promise<void> {
    this.#running = true;
    let batch: Pending[] = [];
    try {
      while (this.#queue.length > 0 && !this.#failure) {
        let n = 0;
        let size = 0;
        while (n < this.#queue.length && (n === 0 || size + this.#queue[n].size <= BATCH_BYTES)) {
          size += this.#queue[n++].size;
        }
        batch = this.#queue.splice(0, n);
        if (size > 0) {
          // Borrowed for the write only: an idle mux connection holds no batch array.
          const out = bufferPool.borrow(size);
          try {
            let o = 0;
            for (const p of batch) for (const f of p.frames) o = encodeFrameInto(f, out, o);
            await this.#stream.write(out.subarray(0, size));
          } finally {
            bufferPool.giveBack(out);
          }
        }
        for (const p of batch) p.resolve();
        batch = [];
      }
    } catch (e) {
      for (const p of batch) p.reject(e);
      const first = !this.#failure;
      this.fail(e);
      if (first) this.#onFailure(e);
    } finally {
      this.#running = false;
    }
  }
}
