/** Buffered reading of a ByteStream: parse heads off the front, take raw chunks, push back the rest. */
import { ProtocolError } from "../core/errors.ts";
import type { ByteStream } from "../core/stream.ts";
import { concatBytes } from "../core/bytes.ts";

/** A pure parser: the value and bytes used once `buf` holds enough, null for more. */
export type PrefixParser<T> = (buf: Uint8Array) => { value: T; used: number } | null;

/** Reads a ByteStream message by message; bytes past one message stay for the next. */
export class StreamReader {
  readonly #stream: ByteStream;
  #buf: Uint8Array = new Uint8Array(0);

  /** Reads from `stream`. */
  constructor(stream: ByteStream) {
    this.#stream = stream;
  }

  /**
   * Parses the next message of at most `limit` bytes, reading as needed; null if the stream ends
   * before its first byte, ProtocolError "too-long" past the limit or "truncated" at a later end.
   */
  async next<T>(parse: PrefixParser<T>, limit: number): Promise<T | null> {
    for (;;) {
      const r = parse(this.#buf.subarray(0, limit));
      if (r) {
        this.#buf = this.#buf.subarray(r.used);
        return r.value;
      }
      if (this.#buf.length >= limit) throw new ProtocolError("too-long", "head too long");
      const chunk = await this.#stream.read();
      if (chunk === null) {
        if (this.#buf.length === 0) return null;
        throw new ProtocolError("truncated", "stream ended inside a head");
      }
      this.unread(chunk, true);
    }
  }

  /** Like next(), for a handshake: an end of stream anywhere is ProtocolError "truncated". */
  async expect<T>(parse: PrefixParser<T>, limit: number): Promise<T> {
    const v = await this.next(parse, limit);
    if (v === null) throw new ProtocolError("truncated", "connection closed during the handshake");
    return v;
  }

  /** Buffered bytes if any, else the next read (valid until the next call); null at the end. */
  async chunk(): Promise<Uint8Array | null> {
    if (this.#buf.length > 0) return this.take();
    return await this.#stream.read();
  }

  /** Puts a copy of `b` in front of the buffered bytes (or behind them when `append`). */
  unread(b: Uint8Array, append = false): void {
    if (b.length === 0) return;
    this.#buf = append ? concatBytes(this.#buf, b) : concatBytes(b, this.#buf);
  }

  /** Takes every buffered byte. */
  take(): Uint8Array {
    const b = this.#buf;
    this.#buf = new Uint8Array(0);
    return b;
  }
}
