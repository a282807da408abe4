/**
 * One underlying Mux.Cool connection, either role: reads frames and routes them to its
 * sub-connections, with the stall bound; sends theirs through one FrameWriter. A frame that breaks
 * the protocol ends this connection (and every sub-connection on it), never the process.
 */
import type { Destination } from "../core/destination.ts";
import type { ByteStream } from "../core/stream.ts";
import type { Logger } from "../log/mod.ts";
import { type Frame, FrameDecoder, frameLength, MuxProtocolError } from "../mux/mod.ts";
import { MuxError } from "./errors.ts";
import { FrameWriter } from "./frame_writer.ts";
import type { MuxLimits } from "./limits.ts";
import { SubConnection } from "./sub_connection.ts";

/** How an underlying connection ended: `error` is the first failure, absent for a clean end. */
export interface MuxOutcome {
  /** A MuxProtocolError for bad frames, or the underlying stream's error. */
  readonly error?: unknown;
}

/** How a connection behaves. */
export interface MuxConnectionOptions {
  /** A server accepts New frames; a client opens sub-connections and ignores New. */
  readonly role: "server" | "client";
  /** Bounds. */
  readonly limits: MuxLimits;
  /** For debug lines about single sub-connections. */
  readonly logger: Logger;
  /** Server: called for each accepted New, before its data is delivered. */
  readonly onOpen?: (sub: SubConnection) => void;
}

const ignore = () => {};

/** One underlying connection and its sub-connections; it runs from construction. */
export class MuxConnection {
  readonly #stream: ByteStream;
  readonly #options: MuxConnectionOptions;
  readonly #decoder = new FrameDecoder();
  readonly #writer: FrameWriter;
  readonly #subs = new Map<number, SubConnection>();
  readonly #host = {
    send: (frames: readonly Frame[]) => this.#writer.send(frames),
    remove: (sub: SubConnection) => this.#remove(sub),
  };
  #emptyWaiters: (() => void)[] = [];
  #nextId = 1;
  #inputEnded = false;
  #closing = false;
  #error: { readonly error: unknown } | null = null;
  #outputEnded: Promise<void> | null = null;
  /** Resolves once the connection is over: input ended or failed, sub-connections gone, stream closed. */
  readonly finished: Promise<MuxOutcome>;

  /** Starts reading `stream`. */
  constructor(stream: ByteStream, options: MuxConnectionOptions) {
    this.#stream = stream;
    this.#options = options;
    this.#writer = new FrameWriter(stream, (e) => this.#fail(e));
    this.finished = this.#run();
  }

  /** Live sub-connections. */
  get active(): number {
    return this.#subs.size;
  }

  /** Whether new sub-connections can be opened on it. */
  get usable(): boolean {
    return !this.#closing && !this.#inputEnded && this.#error === null;
  }

  /**
   * Client: opens a sub-connection (ids 1, 2, 3, … as 4.34) by sending its New frame; throws
   * MuxError if the connection is closing or over, RangeError for an unencodable destination.
   */
  open(destination: Destination): SubConnection {
    if (!this.usable) throw new MuxError("connection-lost", "mux connection is closed");
    if (this.#nextId > 0xffff) throw new RangeError("mux session ids exhausted");
    const frame: Frame = { id: this.#nextId, status: "new", error: false, destination };
    frameLength(frame); // throws RangeError for a destination that cannot be encoded
    const sub = this.#add(this.#nextId++, destination);
    this.#writer.send([frame]).catch(ignore);
    return sub;
  }

  /**
   * If it has no sub-connection: takes no more, flushes and ends the sending side, and closes once
   * the peer ends its side too (or close() is called); returns false if it has one.
   */
  closeIdle(): boolean {
    if (this.#subs.size > 0) return false;
    this.#closing = true;
    this.#endOutput().catch(ignore);
    return true;
  }

  /** Aborts every sub-connection and closes the stream. */
  close(): void {
    this.#closing = true;
    this.#abortAll(false, new MuxError("connection-lost", "mux connection closed"));
    this.#writer.fail(new MuxError("connection-lost", "mux connection closed"));
    this.#stream.close();
  }

  async #run(): Promise<MuxOutcome> {
    try {
      for (;;) {
        const bytes = await this.#stream.read();
        if (bytes === null) {
          this.#decoder.end();
          break;
        }
        this.#decoder.push(bytes);
        for (let f = this.#decoder.next(); f; f = this.#decoder.next()) {
          const stall = this.#onFrame(f);
          if (stall) await stall;
        }
      }
    } catch (e) {
      this.#fail(e);
    }
    this.#inputEnded = true;
    // The peer can no longer end them: cut them rather than let them look complete.
    this.#abortAll(true, new MuxError("connection-lost", "mux connection ended"));
    // Those the peer did end may still be sending their answers.
    while (this.#subs.size > 0) await new Promise<void>((r) => this.#emptyWaiters.push(r));
    await this.#close();
    return this.#error ? { error: this.#error.error } : {};
  }

  // Returns a promise only when the reader must wait for a full sub-connection.
  #onFrame(f: Frame): Promise<void> | undefined {
    switch (f.status) {
      case "keepalive":
        return;
      case "new":
        // The server never sends New; 4.34's client discards one.
        return this.#options.role === "server" ? this.#onNew(f) : undefined;
      case "keep": {
        const sub = this.#subs.get(f.id);
        if (!sub) {
          // As 4.34: tell the peer that id is gone, drop the data, go on.
          if (f.data && !this.#closing) {
            this.#writer.send([{ id: f.id, status: "end", error: false }]).catch(ignore);
          }
          return;
        }
        return f.data ? this.#deliver(sub, f.data, f.destination) : undefined;
      }
      case "end": {
        const sub = this.#subs.get(f.id);
        if (!sub) return;
        // A second End is how a 4.34 client refuses data for an id it has closed.
        if (f.error || sub.peerEnded) {
          sub.abort(new MuxError("peer-abort", `peer aborted mux sub-connection ${f.id}`), false);
        } else sub.peerEnd();
        return;
      }
    }
  }

  #onNew(f: Frame): Promise<void> | undefined {
    const old = this.#subs.get(f.id);
    if (old) {
      if (!old.peerEnded) {
        throw new MuxProtocolError("id-reuse", `Mux.Cool New for open session ${f.id}`);
      }
      // The peer is done with the old one; so are we.
      old.abort(new MuxError("peer-abort", `mux session ${f.id} reopened by the peer`), false);
    }
    if (this.#subs.size >= this.#options.limits.maxSubConnections) {
      this.#options.logger.debug(
        `mux: refused session ${f.id}: ${this.#subs.size} sub-connections already open`,
      );
      this.#writer.send([{ id: f.id, status: "end", error: true }]).catch(ignore);
      return;
    }
    const sub = this.#add(f.id, f.destination!);
    this.#options.onOpen?.(sub);
    return f.data ? this.#deliver(sub, f.data, undefined) : undefined;
  }

  #deliver(
    sub: SubConnection,
    data: Uint8Array,
    peer: Destination | undefined,
  ): Promise<void> | undefined {
    // 4.34 passes on no empty chunk or datagram.
    if (data.length === 0) return;
    // Copied: the decoder's views die with the next read of the underlying stream.
    const over = sub.deliver(data.slice(), sub.destination.network === "udp" ? peer : undefined);
    return over ? this.#waitFor(sub) : undefined;
  }

  async #waitFor(sub: SubConnection): Promise<void> {
    const { stallMs } = this.#options.limits;
    if (await sub.waitDrained(stallMs)) return;
    this.#options.logger.debug(
      `mux: sub-connection ${sub.id} kept ${sub.queuedBytes} bytes unread for ${stallMs} ms; ended with error`,
    );
    sub.abort(new MuxError("stalled", `mux sub-connection ${sub.id} stalled`), true);
  }

  #add(id: number, destination: Destination): SubConnection {
    const sub = new SubConnection(id, destination, this.#host, this.#options.limits.bufferBytes);
    this.#subs.set(id, sub);
    return sub;
  }

  #remove(sub: SubConnection): void {
    if (this.#subs.get(sub.id) !== sub) return;
    this.#subs.delete(sub.id);
    if (this.#subs.size === 0) { for (const w of this.#emptyWaiters.splice(0)) w(); }
  }

  #abortAll(onlyOpenAtPeer: boolean, error: MuxError): void {
    for (const sub of [...this.#subs.values()]) {
      if (!onlyOpenAtPeer || !sub.peerEnded) sub.abort(error, false);
    }
  }

  // The first failure wins and is the outcome; everything on the connection is cut.
  #fail(e: unknown): void {
    if (this.#error === null && !this.#closing) this.#error = { error: e };
    const error = new MuxError("connection-lost", "mux connection failed", { cause: e });
    this.#abortAll(false, error);
    this.#writer.fail(error);
    this.#stream.close();
  }

  // Flushes what is queued and ends the sending side; once.
  #endOutput(): Promise<void> {
    this.#outputEnded ??= (async () => {
      try {
        await this.#writer.flush();
        await this.#stream.closeWrite();
      } catch {
        // Already failed or closed: closing is all that is left.
      }
    })();
    return this.#outputEnded;
  }

  async #close(): Promise<void> {
    await this.#endOutput();
    this.#stream.close();
  }
}
