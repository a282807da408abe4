/**
 * Bridges between ByteStreams and node:stream Duplexes, so node:tls can run over any ByteStream
 * (a chained outbound, a stream after its PROXY header) where Deno's own TLS needs a raw socket.
 */
import type { Duplex } from "node:stream";
import { DenorayError } from "../core/errors.ts";
import type { ByteStream } from "../core/stream.ts";

// node:stream, and Deno's Node layer with it, is loaded with this module, which the TLS layers
// import only when TLS first runs over a stream (a static import would load it at start, also
// from a bundle, where it stands at the top).
const { Duplex: DuplexClass } = await import("node:stream");

/**
 * A Duplex over `stream` that yields `head` first. It reads only when node asks (backpressure),
 * ends its readable side at the stream's end, half-closes the stream when its writable side ends
 * and closes the stream when destroyed.
 */
export function duplexOf(stream: ByteStream, head?: Uint8Array): Duplex {
  let pending: Uint8Array | null = head && head.length > 0 ? head : null;
  let pumping = false;
  const duplex: Duplex = new DuplexClass({
    allowHalfOpen: true,
    read() {
      if (pumping) return;
      pumping = true;
      (async () => {
        try {
          for (;;) {
            let chunk: Uint8Array | null;
            if (pending) {
              chunk = pending;
              pending = null;
            } else {
              chunk = await stream.read();
            }
            if (chunk === null) {
              duplex.push(null);
              return;
            }
            // The stream's view is valid only until its next read: node keeps a copy.
            if (chunk.length > 0 && !duplex.push(chunk.slice())) return;
          }
        } catch (e) {
          duplex.destroy(e as Error);
        } finally {
          pumping = false;
        }
      })();
    },
    write(chunk: Uint8Array, _encoding, callback) {
      stream.write(chunk).then(() => callback(), (e) => callback(e));
    },
    final(callback) {
      stream.closeWrite().then(() => callback(), (e) => callback(e));
    },
    destroy(error, callback) {
      stream.close();
      callback(error);
    },
  });
  return duplex;
}

/** A node socket's failure, as a denoray error that keeps the original as its cause. */
function socketError(e: unknown): DenorayError {
  return new DenorayError("socket", (e as Error)?.message ?? String(e), { cause: e });
}

/** Bytes a NodeSocketStream queues before it pauses its socket. */
const QUEUE_HIGH = 256 * 1024;

/**
 * A ByteStream over a node Duplex (a tls.TLSSocket). The socket flows into a queue and is paused
 * while the queue holds QUEUE_HIGH bytes (Deno's node streams end reliably in flowing mode only);
 * write() copies the bytes and resolves at once unless node's buffer is full (then on 'drain');
 * closeWrite() ends the writable side; close() destroys the socket.
 */
export class NodeSocketStream implements ByteStream {
  readonly #socket: Duplex;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: unknown = null;
  #closed = false;
  // Readers and writers waiting for the socket's next event.
  #waiters: (() => void)[] = [];

  /** Wraps `socket`, which must not be read by anyone else. */
  constructor(socket: Duplex) {
    this.#socket = socket;
    const notify = () => this.#notify();
    socket.on("data", (chunk: Uint8Array) => {
      this.#queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#queued += chunk.byteLength;
      if (this.#queued >= QUEUE_HIGH) socket.pause();
      notify();
    });
    socket.on("drain", notify);
    socket.on("finish", notify);
    socket.on("end", () => {
      this.#ended = true;
      notify();
    });
    socket.on("error", (e: unknown) => {
      this.#error ??= e;
      notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      notify();
    });
  }

  /** The underlying socket (for its TLS details). */
  get socket(): Duplex {
    return this.#socket;
  }

  #notify(): void {
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }

  #waitForEvent(): Promise<void> {
    return new Promise((r) => this.#waiters.push(r));
  }

  /** Next bytes (at most `max`), or null at end of stream or after close. */
  async read(max?: number): Promise<Uint8Array | null> {
    for (;;) {
      if (this.#closed) return null;
      const p = this.#queue[0];
      if (p) {
        let out = p;
        if (max !== undefined && max < p.length) {
          this.#queue[0] = p.subarray(max);
          out = p.subarray(0, max);
        } else {
          this.#queue.shift();
        }
        this.#queued -= out.length;
        if (this.#queued < QUEUE_HIGH && this.#socket.isPaused()) this.#socket.resume();
        return out;
      }
      if (this.#error) throw socketError(this.#error);
      if (this.#ended) return null;
      await this.#waitForEvent();
    }
  }

  /** Sends all of `data` (copied); waits while node's send buffer is full. */
  async write(data: Uint8Array): Promise<void> {
    if (this.#error) throw socketError(this.#error);
    if (this.#closed || this.#socket.destroyed) {
      throw new DenorayError("closed", "write on a closed stream");
    }
    if (data.length === 0) return;
    if (this.#socket.write(data.slice())) return;
    while (this.#socket.writableNeedDrain) {
      if (this.#error) throw socketError(this.#error);
      if (this.#socket.destroyed) throw new DenorayError("closed", "stream closed while writing");
      await this.#waitForEvent();
    }
  }

  /** Ends the sending side (TLS close_notify, then the transport's half-close); idempotent. */
  async closeWrite(): Promise<void> {
    const s = this.#socket;
    if (this.#closed || s.writableEnded || s.destroyed) return;
    s.end();
    // Done once flushed; a socket that fails or closes first has nothing left to signal.
    while (!s.writableFinished && !s.destroyed && this.#error === null && !this.#closed) {
      await this.#waitForEvent();
    }
  }

  /** Destroys the socket and its transport; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#notify();
  }
}

/**
 * Resolves once a node:tls socket emits `secureEvent` ("secureConnect" for a client, "secure" for a
 * server); rejects on an error, or if the connection ends or closes before.
 */
export function nodeTlsHandshake(
  socket: { once(event: string, listener: (...args: unknown[]) => void): unknown },
  secureEvent: "secure" | "secureConnect",
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once(secureEvent, () => resolve());
    socket.once("error", reject);
    const closed = () => reject(new Error("connection closed during the handshake"));
    socket.once("close", closed);
    // Half-open sockets do not close at the peer's end: an end before the handshake fails too.
    socket.once("end", closed);
  });
}
