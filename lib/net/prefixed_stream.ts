/** A ByteStream that first returns bytes already read during a handshake. */
import type { ByteStream } from "../core/stream.ts";

/** Yields `head` on the first read, then reads from `inner`. */
export class PrefixedStream implements ByteStream {
  #head: Uint8Array | null;
  readonly #inner: ByteStream;

  /** Wraps `inner` so `head` comes first. */
  constructor(head: Uint8Array, inner: ByteStream) {
    this.#head = head.length > 0 ? head : null;
    this.#inner = inner;
  }

  /** The head (at most `max` bytes of it at a time), then the inner stream's bytes. */
  read(max?: number): Promise<Uint8Array | null> {
    const h = this.#head;
    if (h) {
      const n = max === undefined ? h.length : Math.min(max, h.length);
      this.#head = n < h.length ? h.subarray(n) : null;
      return Promise.resolve(h.subarray(0, n));
    }
    return this.#inner.read(max);
  }

  /** Writes to the inner stream. */
  write(data: Uint8Array): Promise<void> {
    return this.#inner.write(data);
  }

  /** Half-closes the inner stream. */
  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }

  /** Closes the inner stream. */
  close(): void {
    this.#inner.close();
  }
}
