/**
 * A ByteStream of plaintext over a VMess connection: the body codec on a transport stream (a TCP
 * socket, or another outbound's stream when chained), with an optional prelude to read first (the
 * client's response header) and bytes to send before the first body bytes (the client's request
 * header, the server's response header).
 */
import type { ByteStream } from "../core/stream.ts";
import { ProtocolError } from "../core/errors.ts";
import { ReusableBuffer } from "../core/reusable_buffer.ts";
import type { BodyReader, BodyWriter } from "../vmess/mod.ts";

/** Consumes the bytes before the body; returns the body bytes that followed it, or null for more. */
export type Prelude = (bytes: Uint8Array) => Uint8Array | null;

/** How a VmessBodyStream is put together. */
export interface BodyStreamParts {
  /** The transport: a TcpStream, or a stream through another outbound (proxySettings). */
  readonly transport: ByteStream;
  /** Encodes what we send. */
  readonly writer: BodyWriter;
  /** Decodes what we receive; built lazily when it depends on the prelude. */
  readonly reader: BodyReader | (() => BodyReader);
  /** Parses what precedes the body on the read side (response header), if anything. */
  readonly prelude?: Prelude;
  /** Sent ahead of the first body bytes (a header), if anything. */
  readonly prefix?: Uint8Array;
  /** Body bytes that already arrived with the header. */
  readonly initial?: Uint8Array;
  /** Send no terminator chunk at closeWrite (V2Fly's NoTerminationSignal experiment). */
  readonly noTerminator?: boolean;
  /** Send the prefix alone if no body bytes come within this many ms (client header). */
  readonly flushAfterMs?: number;
}

/** Plaintext in and out of one VMess connection; one read() returns what one transport read decoded. */
export class VmessBodyStream implements ByteStream {
  readonly #transport: ByteStream;
  readonly #writer: BodyWriter;
  #reader: BodyReader | null;
  readonly #makeReader: (() => BodyReader) | null;
  #prelude: Prelude | undefined;
  #prefix: Uint8Array | null;
  readonly #noTerminator: boolean;
  #eof = false;
  #writeClosed = false;
  #tail: Promise<void> = Promise.resolve();
  #inFlight: Promise<void> = Promise.resolve();
  // Two wire buffers used in turn: one may be on the socket while the next write seals into the
  // other. Only a write() that is the sole one running uses them (UDP callers do not await).
  readonly #wireBuffers = [new ReusableBuffer(), new ReusableBuffer()];
  #turn = 0;
  #writesRunning = 0;
  // Where the chunks of one read are merged; what read() returns is only valid until the next.
  readonly #merge = new ReusableBuffer();
  // What a read() cut at its `max` left of the plaintext it had (a view of the buffers above).
  #rest: Uint8Array | null = null;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  /** Assembles the stream; nothing is sent or read until used. */
  constructor(parts: BodyStreamParts) {
    this.#transport = parts.transport;
    this.#writer = parts.writer;
    this.#reader = typeof parts.reader === "function" ? null : parts.reader;
    this.#makeReader = typeof parts.reader === "function" ? parts.reader : null;
    this.#prelude = parts.prelude;
    this.#prefix = parts.prefix && parts.prefix.length > 0 ? parts.prefix : null;
    this.#noTerminator = parts.noTerminator ?? false;
    if (parts.initial && parts.initial.length > 0) this.#feed(parts.initial);
    if (this.#prefix && parts.flushAfterMs !== undefined) {
      // Server-first protocols need the header before any client data exists.
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined;
        this.flush().catch(() => this.close());
      }, parts.flushAfterMs);
    }
  }

  #body(): BodyReader {
    if (!this.#reader) this.#reader = this.#makeReader!();
    return this.#reader;
  }

  // Bytes from the wire: through the prelude first, then into the body reader.
  #feed(bytes: Uint8Array): void {
    if (this.#prelude) {
      const rest = this.#prelude(bytes);
      if (rest === null) return;
      this.#prelude = undefined;
      if (rest.length > 0) this.#body().push(rest);
      return;
    }
    this.#body().push(bytes);
  }

  /**
   * The next plaintext, or null at the end of the body (its terminator, or the connection closed
   * between chunks; closed inside one throws ProtocolError "truncated"): one datagram in packet
   * mode, otherwise every chunk that one transport read completed, merged, so that v2ray's ~2 KiB
   * chunks cost one downstream write per read rather than one per chunk (cut at `max`, the rest
   * kept for the next read). Valid until the next read().
   */
  async read(max?: number): Promise<Uint8Array | null> {
    const out = this.#rest ?? await this.#next();
    this.#rest = null;
    if (out === null || max === undefined || out.length <= max) return out;
    this.#rest = out.subarray(max);
    return out.subarray(0, max);
  }

  async #next(): Promise<Uint8Array | null> {
    for (;;) {
      if (!this.#prelude) {
        const reader = this.#body();
        const plaintext = reader.packet ? reader.next() : this.#drain(reader);
        if (plaintext !== null) return plaintext;
        if (reader.finished) return null;
        // What is still queued may be a view of the transport's buffer, which the read reuses.
        reader.detach();
      }
      if (this.#eof) {
        if (this.#prelude) {
          throw new ProtocolError("truncated", "VMess connection ended inside the response header");
        }
        // As V2Ray (whose copy loop takes io.EOF as the end): a connection closed between chunks,
        // without the terminator, ends the body normally; only one cut inside a chunk is an error.
        const body = this.#body();
        if (body.framing === "raw" || !body.partial) return null;
        throw new ProtocolError("truncated", "VMess connection ended inside a chunk");
      }
      const bytes = await this.#transport.read();
      if (bytes === null) {
        this.#eof = true;
        continue;
      }
      // Fed by reference: the prelude copies what it keeps, the body reader is detached above.
      this.#feed(bytes);
    }
  }

  // Every plaintext `reader` can decode now: a single one as it is, several merged into one
  // reused array (about one read of a bulk flow; it shrinks again when merges get small).
  #drain(reader: BodyReader): Uint8Array | null {
    if (reader.framing === "chunks") return this.#drainChunks(reader);
    const first = reader.next();
    if (first === null) return null;
    let next = reader.next();
    if (next === null) return first;
    const parts = [first];
    let total = first.length;
    for (; next !== null; next = reader.next()) {
      parts.push(next);
      total += next.length;
    }
    const out = this.#merge.get(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  // Sealed chunks are opened straight into the reused merge array: no array per chunk, no copy.
  #drainChunks(reader: BodyReader): Uint8Array | null {
    const room = reader.buffered;
    if (room === 0) return null;
    const out = this.#merge.get(room);
    let o = 0;
    for (let n = reader.nextInto(out, o); n > 0; n = reader.nextInto(out, o)) o += n;
    return o > 0 ? out.subarray(0, o) : null;
  }

  /**
   * Sends the prefix (once) and the plaintext as body chunks, in one transport write. Resolves
   * once the previous write is on the socket (this one may still be sending; a later write, the
   * close or closeWrite reports its failure), or, for a raw body, once this one is.
   */
  async write(data: Uint8Array): Promise<void> {
    // The seal has used `data` up, so the caller may read into its buffer again while these
    // bytes are sent: one write stays in flight, and the wait is for the one before it. A raw
    // body's wire is `data` itself, though: that one must be sent before the caller gets it back.
    const previous = this.#inFlight;
    const wire = this.#writer.write(data, this.#wireBuffer(data.length));
    const sending = this.#send(wire);
    this.#inFlight = sending;
    this.#writesRunning++;
    try {
      await (wire.buffer === data.buffer ? sending : previous);
    } finally {
      this.#writesRunning--;
    }
  }

  // The next wire buffer in turn, large enough for `n` plaintext bytes; none if another write()
  // is still running (its buffer could still be on the socket) or the body needs none.
  #wireBuffer(n: number): Uint8Array | undefined {
    const need = this.#writer.capacity(n);
    if (need === 0 || this.#writesRunning > 0) return undefined;
    const turn = this.#turn;
    this.#turn ^= 1;
    return this.#wireBuffers[turn].get(need);
  }

  // Writes are chained: a flush() timer may run while the relay writes, and TcpStream.write
  // loops over partial writes, so two concurrent writes could interleave their bytes.
  #send(wire: Uint8Array): Promise<void> {
    const next = this.#tail.then(() => this.#sendNow(wire));
    this.#tail = next.catch(() => {});
    return next;
  }

  async #sendNow(wire: Uint8Array): Promise<void> {
    const prefix = this.#prefix;
    if (prefix) {
      this.#prefix = null;
      clearTimeout(this.#flushTimer);
      const both = new Uint8Array(prefix.length + wire.length);
      both.set(prefix, 0);
      both.set(wire, prefix.length);
      wire = both;
    }
    if (wire.length > 0) await this.#transport.write(wire);
  }

  /** Sends any pending prefix now (a header that must not wait for data). */
  async flush(): Promise<void> {
    if (this.#prefix) await this.#send(new Uint8Array(0));
  }

  /** Ends the body: the terminator chunk (raw bodies: a TCP half-close instead). */
  async closeWrite(): Promise<void> {
    if (this.#writeClosed) return;
    this.#writeClosed = true;
    await this.#inFlight; // a failed last write fails the close too
    const end = this.#writer.end();
    if (!this.#noTerminator) await this.#send(end);
    else await this.flush();
    if (end.length === 0) await this.#transport.closeWrite();
  }

  /** Closes the connection and frees the body codec's cipher contexts. */
  close(): void {
    clearTimeout(this.#flushTimer);
    this.#transport.close();
    // Sealing and opening are synchronous, so no call into the codec is running now; a later
    // read or write fails cleanly with CryptoError "disposed".
    this.#writer.dispose();
    this.#reader?.dispose();
  }
}
