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

  /** The head, then the inner stream's bytes. */
  read(): Promise<Uint8Array | null> {
    const h = this.#head;
    if (h) {
      this.#head = null;
      return Promise.resolve(h);
    }
    return this.#inner.read();
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
