/**
 * Writes behind a relay's reader. A source that reads in small pieces (a TLS record or a
 * WebSocket frame at a time, as V2Ray sends them: ~2 KiB each) would otherwise cost one socket
 * write per piece, and a write costs far more than copying its bytes. Small pieces are copied
 * into a batch and written while the reader goes on reading; what arrives during a write joins the
 * next batch, so a fast source pays one write per burst. Large pieces are written straight from the
 * reader's array, after the batches before them.
 */
import { bufferPool } from "../core/buffer_pool.ts";
import type { ByteStream } from "../core/stream.ts";

/** Pieces up to this many bytes are copied and batched; larger ones are written as they are. */
export const BATCH_PIECE_MAX = 16 * 1024;

/** Bytes of one batch array (a pool class); a full batch waits for the write before it. */
export const BATCH_BYTES = 32 * 1024;

/** Microtask turns a batch waits for more pieces before its first write. */
export const GATHER_TURNS = 16;

/** Writes pieces to a stream in order, batching the small ones behind a write in flight. */
export class WriteBehind {
  readonly #to: ByteStream;
  readonly #onWritten: (n: number) => void;
  readonly #onError: (e: unknown) => void;
  /** The batch being gathered, and the one whose write is in flight (each borrowed while used). */
  #gather: Uint8Array | null = null;
  #spare: Uint8Array | null = null;
  #length = 0;
  /** Writes the gathered batches until none is left; null when no write is in flight. */
  #flushing: Promise<void> | null = null;
  #failed = false;
  #error: unknown;

  /**
   * Writes to `to`; `onWritten` is told each write's byte count once the stream took it, and
   * `onError` the first error of a write done behind the reader (the caller tears down).
   */
  constructor(
    to: ByteStream,
    onWritten: (n: number) => void,
    onError: (e: unknown) => void,
  ) {
    this.#to = to;
    this.#onWritten = onWritten;
    this.#onError = onError;
  }

  /**
   * Hands over one read's bytes (valid only until the caller's next read). Resolves once the
   * caller may read again: the bytes are copied into a batch, or written. Rejects with the first
   * write error.
   */
  async push(piece: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    if (piece.length === 0) return;
    if (piece.length > BATCH_PIECE_MAX) {
      if (this.#flushing !== null) await this.drain(); // a bulk read: no await when nothing is queued
      await this.#to.write(piece);
      this.#onWritten(piece.length);
      return;
    }
    if (this.#gather !== null && this.#length + piece.length > this.#gather.length) {
      await this.drain(); // backpressure: at most one batch in flight and one gathering
    }
    this.#gather ??= bufferPool.borrow(BATCH_BYTES);
    this.#gather.set(piece, this.#length);
    this.#length += piece.length;
    this.#flushing ??= this.#flush();
  }

  /** Resolves once every byte handed over is written; rejects with the first write error. */
  async drain(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing;
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failed) throw this.#error;
  }

  /** Never rejects: an error is kept for push/drain and reported once. */
  async #flush(): Promise<void> {
    try {
      // A piece already buffered below the reader (the rest of a TLS record, more WebSocket
      // frames, more VMess chunks) arrives within a few microtask turns, a piece that waits on
      // the socket does not: waiting a bounded number of turns before the first write lets the
      // buffered ones join it, and delays an interactive write by only those turns. (It also
      // settles this promise after push() stored it, even if the write throws at once.)
      for (let turn = 0; turn < GATHER_TURNS; turn++) await null;
      while (this.#length > 0) {
        const out = this.#gather!;
        const n = this.#length;
        this.#gather = this.#spare;
        this.#spare = null;
        this.#length = 0;
        try {
          await this.#to.write(out.subarray(0, n));
        } finally {
          this.#spare = out; // the write is over: the array may be gathered into again
        }
        this.#onWritten(n);
      }
    } catch (e) {
      this.#failed = true;
      this.#error = e;
      this.#length = 0;
      this.#onError(e);
    } finally {
      // Nothing in flight: an idle connection keeps no batch arrays.
      if (this.#gather !== null) bufferPool.giveBack(this.#gather);
      if (this.#spare !== null) bufferPool.giveBack(this.#spare);
      this.#gather = this.#spare = null;
      this.#flushing = null;
    }
  }
}
