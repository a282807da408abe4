/** In-memory ByteStream pairs for layer tests: no sockets, real backpressure and half-close. */
import type { ByteStream } from "../../lib/core/stream.ts";

/** One direction: bytes written wait here until read; writers wait while `highWater` is queued. */
class Pipe {
  readonly #highWater: number;
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #cancelled = false;
  #readWaiter: (() => void) | null = null;
  #writeWaiters: (() => void)[] = [];

  constructor(highWater: number) {
    this.#highWater = highWater;
  }

  get ended(): boolean {
    return this.#ended;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#ended || this.#cancelled) throw new Error("write on a closed memory stream");
    this.#chunks.push(data.slice());
    this.#queued += data.length;
    this.#wakeReader();
    while (this.#queued > this.#highWater && !this.#cancelled) {
      await new Promise<void>((r) => this.#writeWaiters.push(r));
    }
    if (this.#cancelled) throw new Error("memory stream reset by its reader");
  }

  async read(max?: number): Promise<Uint8Array | null> {
    for (;;) {
      if (this.#cancelled) return null;
      let chunk = this.#chunks.shift();
      if (chunk) {
        if (max !== undefined && chunk.length > max) {
          this.#chunks.unshift(chunk.subarray(max));
          chunk = chunk.subarray(0, max);
        }
        this.#queued -= chunk.length;
        if (this.#queued <= this.#highWater) this.#wakeWriters();
        return chunk;
      }
      if (this.#ended) return null;
      await new Promise<void>((r) => (this.#readWaiter = r));
    }
  }

  end(): void {
    this.#ended = true;
    this.#wakeReader();
  }

  cancel(): void {
    this.#cancelled = true;
    this.#chunks.length = 0;
    this.#queued = 0;
    this.#wakeReader();
    this.#wakeWriters();
  }

  #wakeReader(): void {
    const r = this.#readWaiter;
    this.#readWaiter = null;
    r?.();
  }

  #wakeWriters(): void {
    for (const w of this.#writeWaiters.splice(0)) w();
  }
}

/**
 * One end of a memory pair. read() returns a view of a buffer that the next read() overwrites
 * (scribbled first), as a socket's reused read buffer does, so a consumer that keeps a view fails;
 * read(max) returns at most `max` bytes and keeps the rest.
 */
export class MemoryStream implements ByteStream {
  readonly #in: Pipe;
  readonly #out: Pipe;
  #buffer = new Uint8Array(0);
  #closed = false;
  /** Bytes handed to write() so far. */
  written = 0;

  constructor(input: Pipe, output: Pipe) {
    this.#in = input;
    this.#out = output;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this end has ended its sending side (closeWrite or close). */
  get writeEnded(): boolean {
    return this.#out.ended;
  }

  async read(max?: number): Promise<Uint8Array | null> {
    this.#buffer.fill(0xee);
    const chunk = await this.#in.read(max);
    if (chunk === null) return null;
    if (this.#buffer.length < chunk.length) this.#buffer = new Uint8Array(chunk.length);
    this.#buffer.set(chunk);
    return this.#buffer.subarray(0, chunk.length);
  }

  async write(data: Uint8Array): Promise<void> {
    await this.#out.write(data);
    this.written += data.length;
  }

  closeWrite(): Promise<void> {
    this.#out.end();
    return Promise.resolve();
  }

  /** Ends our sending side (the peer reads to the end of what was sent) and drops what is unread. */
  close(): void {
    this.#closed = true;
    this.#out.end();
    this.#in.cancel();
  }
}

/** Two connected ends; each direction holds up to `highWater` bytes before writes wait. */
export function memoryPair(highWater = 64 * 1024): [MemoryStream, MemoryStream] {
  const ab = new Pipe(highWater);
  const ba = new Pipe(highWater);
  return [new MemoryStream(ba, ab), new MemoryStream(ab, ba)];
}
