/**
 * A ByteStream over WebSocket frames on any ByteStream, for either role, as V2Ray 4.34 speaks
 * them: every write is one binary frame (masked from a client), every data frame read (text,
 * binary, fragments) joins one byte stream, pings are answered, a close frame is echoed and ends
 * reading. We also ping every WS_PING_MS so that a proxy in front (nginx: 60 s) does not cut a
 * quiet tunnel. A malformed frame sends a 1002 close and fails the stream.
 */
import { DenorayError, ProtocolError } from "../core/errors.ts";
import { randomBytes } from "../core/bytes.ts";
import type { ByteStream } from "../core/stream.ts";
import {
  CloseCode,
  closePayload,
  controlReply,
  encodeFrame,
  FrameDecoder,
  Opcode,
  protocolErrorClose,
  type WsEvent,
  type WsRole,
} from "../ws/mod.ts";

/** How often we ping an open WebSocket, ms (within nginx's default 60 s proxy_read_timeout). */
export const WS_PING_MS = 40_000;

/** How long a close frame may take to go out before the transport is closed anyway, ms. */
const CLOSE_WRITE_MS = 1_000;

/** Options of a WsStream. */
export interface WsStreamOptions {
  /** Our end: a client masks what it sends, a server expects masked frames. */
  readonly role: WsRole;
  /** Frame bytes already read past the handshake. */
  readonly head?: Uint8Array;
  /** Bytes the handshake carried (early data): read first. */
  readonly earlyData?: Uint8Array;
  /** Keep-alive ping interval, ms (default WS_PING_MS; 0: none). */
  readonly pingMs?: number;
}

/** One WebSocket connection as a byte stream. */
export class WsStream implements ByteStream {
  readonly #inner: ByteStream;
  readonly #client: boolean;
  readonly #decoder: FrameDecoder;
  #head: Uint8Array | null;
  #pending: Uint8Array | null;
  #events: WsEvent[] = [];
  #eventAt = 0;
  // Frames go out one after another: data from the relay, control frames from reads and the timer.
  #writeChain: Promise<void> = Promise.resolve();
  #writing = 0;
  #sentClose = false;
  #gotClose = false;
  #closed = false;
  #failure: unknown = null;
  readonly #timer: ReturnType<typeof setInterval> | undefined;

  /** A WebSocket over `inner`, whose handshake is done. */
  constructor(inner: ByteStream, opts: WsStreamOptions) {
    this.#inner = inner;
    this.#client = opts.role === "client";
    this.#decoder = new FrameDecoder(opts.role);
    this.#head = opts.head && opts.head.length > 0 ? opts.head : null;
    this.#pending = opts.earlyData && opts.earlyData.length > 0 ? opts.earlyData : null;
    const ping = opts.pingMs ?? WS_PING_MS;
    if (ping > 0) {
      this.#timer = setInterval(() => this.#ping(), ping);
      Deno.unrefTimer(this.#timer);
    }
  }

  #mask(): Uint8Array | undefined {
    return this.#client ? randomBytes(4) : undefined;
  }

  #send(frame: Uint8Array): Promise<void> {
    this.#writing++;
    const p = this.#writeChain.then(() => this.#inner.write(frame));
    // The chain only orders writes: each caller gets its own write's outcome.
    this.#writeChain = p.then(() => {}, () => {}).finally(() => this.#writing--);
    return p;
  }

  #ping(): void {
    if (this.#closed || this.#sentClose) return;
    this.#send(encodeFrame(Opcode.ping, new Uint8Array(0), this.#mask())).catch(() => {
      // The read side sees a dead connection.
    });
  }

  /** The next bytes of the message stream (at most `max`), or null after a close or the end. */
  async read(max?: number): Promise<Uint8Array | null> {
    for (;;) {
      const p = this.#pending;
      if (p) {
        if (max !== undefined && max < p.length) {
          this.#pending = p.subarray(max);
          return p.subarray(0, max);
        }
        this.#pending = null;
        return p;
      }
      if (this.#closed || this.#gotClose) return null;
      if (this.#failure) throw this.#failure;
      if (this.#eventAt < this.#events.length) {
        if (!this.#takeData()) this.#handle(this.#events[this.#eventAt++]);
        continue;
      }
      let chunk = this.#head;
      this.#head = null;
      chunk ??= await this.#inner.read();
      if (chunk === null) {
        if (this.#closed) return null;
        if (this.#decoder.partial) {
          throw this.#fail(new ProtocolError("ws-frame", "websocket: connection ended mid-frame"));
        }
        return null;
      }
      try {
        this.#events = this.#decoder.push(chunk);
        this.#eventAt = 0;
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        if (!this.#sentClose) {
          this.#sentClose = true;
          this.#send(protocolErrorClose(e, this.#mask())).catch(() => {});
        }
        throw this.#fail(e);
      }
    }
  }

  #fail(e: unknown): unknown {
    this.#failure = e;
    return e;
  }

  // Joins the run of data events at the cursor into one pending buffer: a peer such as 4.34 sends
  // a frame per 2 KiB, and handing them on one by one costs a read per frame up the stack.
  #takeData(): boolean {
    const events = this.#events;
    let end = this.#eventAt, total = 0;
    while (end < events.length) {
      const ev = events[end];
      if (ev.kind !== "data") break;
      total += ev.bytes.length;
      end++;
    }
    const count = end - this.#eventAt;
    if (count === 0) return false;
    if (count === 1) {
      this.#handle(events[this.#eventAt++]);
      return true;
    }
    const joined = new Uint8Array(total);
    let o = 0;
    for (let i = this.#eventAt; i < end; i++) {
      const b = (events[i] as { bytes: Uint8Array }).bytes;
      joined.set(b, o);
      o += b.length;
    }
    this.#eventAt = end;
    if (total > 0) this.#pending = joined;
    return true;
  }

  #handle(ev: WsEvent): void {
    if (ev.kind === "data") {
      if (ev.bytes.length > 0) this.#pending = ev.bytes;
      return;
    }
    if (ev.kind === "close") {
      this.#gotClose = true;
      if (this.#sentClose) return;
      this.#sentClose = true;
    }
    const reply = controlReply(ev, this.#mask());
    if (reply) this.#send(reply).catch(() => {});
  }

  /** Sends `data` as one binary frame; resolves when the transport took it. */
  async write(data: Uint8Array): Promise<void> {
    if (this.#closed || this.#sentClose) {
      throw new DenorayError("closed", "websocket: write after close");
    }
    if (data.length === 0) return;
    await this.#send(encodeFrame(Opcode.binary, data, this.#mask()));
  }

  /**
   * WebSocket has no half-close (4.34's neither): nothing is sent. The protocol above ends its
   * data its own way (VMess's end chunk); the connection closes when both directions are done.
   */
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  /** Sends a 1000 close if the connection is idle, then closes the transport; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (!this.#sentClose && this.#writing === 0 && this.#failure === null) {
      this.#sentClose = true;
      const frame = encodeFrame(Opcode.close, closePayload(CloseCode.normal), this.#mask());
      // A peer that stops reading must not keep the socket: it closes after CLOSE_WRITE_MS anyway.
      const timer = setTimeout(() => this.#inner.close(), CLOSE_WRITE_MS);
      this.#send(frame).catch(() => {}).finally(() => {
        clearTimeout(timer);
        this.#inner.close();
      });
      return;
    }
    this.#inner.close();
  }
}
