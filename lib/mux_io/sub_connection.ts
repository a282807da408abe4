/**
 * One sub-connection of a Mux.Cool connection, as a ByteStream: what the peer sent waits in a
 * bounded queue until read; what is written goes out as Keep frames; closeWrite sends End (a
 * half-close); close() before both sides ended sends End with Error (an abort).
 */
import type { Destination } from "../core/destination.ts";
import type { ByteStream } from "../core/stream.ts";
import { type Frame, STREAM_FRAME_DATA } from "../mux/mod.ts";
import { MuxError } from "./errors.ts";

/** What a sub-connection needs from the connection that carries it. */
export interface SubConnectionHost {
  /** Queues frames on the underlying connection; resolves once written. */
  send(frames: readonly Frame[]): Promise<void>;
  /** Called once when the sub-connection is over (both sides ended, or aborted). */
  remove(sub: SubConnection): void;
}

/** Bytes from the peer, with the datagram peer an Xray UDP Keep named, if any. */
export interface Received {
  /** The bytes (owned: they stay valid). */
  readonly data: Uint8Array;
  /** The peer a UDP Keep frame named (Xray's form); absent otherwise. */
  readonly peer?: Destination;
}

const ignore = () => {};

/** One sub-connection; the connection feeds it frames, its user reads and writes it. */
export class SubConnection implements ByteStream {
  /** Session id. */
  readonly id: number;
  /** The target of its New frame. */
  readonly destination: Destination;
  readonly #host: SubConnectionHost;
  readonly #bufferBytes: number;
  readonly #queue: Received[] = [];
  #queued = 0;
  #peerEnded = false;
  #localEnded = false;
  #closed = false;
  #removed = false;
  #failure: MuxError | null = null;
  #reader: { resolve: (r: Received | null) => void; reject: (e: unknown) => void } | null = null;
  #drained: ((ok: boolean) => void) | null = null;
  #peerNamedPeers = false;

  /** A sub-connection `id` to `destination`; receive buffer of `bufferBytes`. */
  constructor(id: number, destination: Destination, host: SubConnectionHost, bufferBytes: number) {
    this.id = id;
    this.destination = destination;
    this.#host = host;
    this.#bufferBytes = bufferBytes;
  }

  /** Whether the peer has sent End. */
  get peerEnded(): boolean {
    return this.#peerEnded;
  }

  /** Whether the peer named a datagram peer in a Keep frame (Xray's UDP form). */
  get peerNamedPeers(): boolean {
    return this.#peerNamedPeers;
  }

  /** Bytes received and not yet read. */
  get queuedBytes(): number {
    return this.#queued;
  }

  // ---- fed by the connection ----

  /** Queues bytes from the peer (owned by the callee); true when the buffer is now over its bound. */
  deliver(data: Uint8Array, peer?: Destination): boolean {
    if (this.#closed || this.#failure || this.#peerEnded) return false;
    const item: Received = peer ? { data, peer } : { data };
    if (peer) this.#peerNamedPeers = true;
    if (this.#reader) {
      const r = this.#reader;
      this.#reader = null;
      r.resolve(item);
      return false;
    }
    this.#queue.push(item);
    this.#queued += data.length;
    return this.#queued > this.#bufferBytes;
  }

  /** Resolves true once the buffer is back within its bound (or no longer matters), false after `ms`. */
  waitDrained(ms: number): Promise<boolean> {
    if (this.#queued <= this.#bufferBytes || this.#closed || this.#failure) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#drained = null;
        resolve(false);
      }, ms);
      this.#drained = (ok) => {
        clearTimeout(timer);
        this.#drained = null;
        resolve(ok);
      };
    });
  }

  /** The peer sent End without Error: reads end after what is queued. */
  peerEnd(): void {
    if (this.#peerEnded || this.#failure) return;
    this.#peerEnded = true;
    if (this.#reader && this.#queue.length === 0) {
      const r = this.#reader;
      this.#reader = null;
      r.resolve(null);
    }
    this.#doneIfEnded();
  }

  /** Ends it abnormally: reads and writes fail with `error`; End + Error goes out if `tellPeer`. */
  abort(error: MuxError, tellPeer: boolean): void {
    if (this.#failure || this.#removed) return;
    this.#failure = error;
    this.#release();
    this.#reader?.reject(error);
    this.#reader = null;
    if (tellPeer) this.#sendEnd(true).catch(ignore);
    this.#remove();
  }

  // ---- used by its user ----

  /**
   * The next bytes from the peer (at most `max`, the rest kept for the next read), or null once
   * it has ended (or this side closed).
   */
  async read(max?: number): Promise<Uint8Array | null> {
    const r = await this.receive();
    if (r === null) return null;
    if (max === undefined || r.data.length <= max) return r.data;
    this.#queue.unshift({ data: r.data.subarray(max) });
    this.#queued += r.data.length - max;
    return r.data.subarray(0, max);
  }

  /** Like read(), with the datagram peer an Xray UDP Keep named. */
  receive(): Promise<Received | null> {
    if (this.#closed) return Promise.resolve(null);
    if (this.#failure) return Promise.reject(this.#failure);
    const item = this.#queue.shift();
    if (item) {
      this.#queued -= item.data.length;
      if (this.#drained && this.#queued <= this.#bufferBytes) this.#drained(true);
      return Promise.resolve(item);
    }
    if (this.#peerEnded) return Promise.resolve(null);
    if (this.#reader) return Promise.reject(new Error("concurrent read on a mux sub-connection"));
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }

  /** Sends `data` as Keep frames of at most 8 KiB; resolves once they are written. */
  write(data: Uint8Array): Promise<void> {
    const refused = this.#refuseWrite();
    if (refused) return Promise.reject(refused);
    if (data.length === 0) return Promise.resolve();
    const frames: Frame[] = [];
    for (let o = 0; o < data.length; o += STREAM_FRAME_DATA) {
      frames.push({
        id: this.id,
        status: "keep",
        error: false,
        data: data.subarray(o, o + STREAM_FRAME_DATA),
      });
    }
    return this.#host.send(frames);
  }

  /** Sends one datagram as one Keep frame, naming its peer if `peer` is given (Xray's form). */
  writeDatagram(data: Uint8Array, peer?: Destination): Promise<void> {
    const refused = this.#refuseWrite();
    if (refused) return Promise.reject(refused);
    const frame: Frame = peer
      ? { id: this.id, status: "keep", error: false, destination: peer, data }
      : { id: this.id, status: "keep", error: false, data };
    return this.#host.send([frame]);
  }

  /** Sends End: nothing more will be written. The sub-connection is over once the peer ends too. */
  async closeWrite(): Promise<void> {
    if (this.#localEnded || this.#closed) return;
    if (this.#failure) throw this.#failure;
    this.#localEnded = true;
    const sent = this.#sendEnd(false);
    this.#doneIfEnded();
    await sent;
  }

  /**
   * Closes both directions. Before both sides have ended this is an abort: End + Error goes out,
   * so the peer tears its side down. Safe to call more than once.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    this.#reader?.resolve(null);
    this.#reader = null;
    if (this.#failure || this.#removed) return;
    this.#failure = new MuxError("closed", `mux sub-connection ${this.id} closed`);
    this.#sendEnd(true).catch(ignore);
    this.#remove();
  }

  /** Ends it without error, whatever the peer does (a UDP flow's close): End, then forget it. */
  finish(): void {
    if (this.#closed) return;
    if (!this.#localEnded && !this.#failure) {
      this.#localEnded = true;
      this.#sendEnd(false).catch(ignore);
    }
    this.#closed = true;
    this.#release();
    this.#reader?.resolve(null);
    this.#reader = null;
    this.#failure ??= new MuxError("closed", `mux sub-connection ${this.id} closed`);
    this.#remove();
  }

  #refuseWrite(): MuxError | null {
    if (this.#failure) return this.#failure;
    if (this.#localEnded || this.#closed) {
      return new MuxError("closed", `write after the end of mux sub-connection ${this.id}`);
    }
    return null;
  }

  #sendEnd(error: boolean): Promise<void> {
    return this.#host.send([{ id: this.id, status: "end", error }]);
  }

  // Drops what is queued and lets a reader waiting for it to drain go on.
  #release(): void {
    this.#queue.length = 0;
    this.#queued = 0;
    this.#drained?.(true);
  }

  #doneIfEnded(): void {
    if (this.#peerEnded && this.#localEnded) this.#remove();
  }

  #remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.#host.remove(this);
  }
}
