/** Reads a protocol prefix off a socket: more bytes until a pure parser is satisfied. */
import { ProtocolError } from "../core/errors.ts";

/** A pure parser: the value and bytes used once `buf` holds enough, null for more. */
export type PrefixParser<T> = (buf: Uint8Array) => { value: T; used: number } | null;

/** Buffers reads of one connection for handshake parsing; the leftover goes to the relay. */
export class PrefixReader {
  readonly #conn: Deno.Conn;
  #buf: Uint8Array = new Uint8Array(0);
  readonly #limit: number;

  /** Reads from `conn`, refusing a prefix longer than `limit` bytes. */
  constructor(conn: Deno.Conn, limit = 16 * 1024) {
    this.#conn = conn;
    this.#limit = limit;
  }

  /** Parses the next message with `parse`, reading as needed; throws ProtocolError at EOF or the limit. */
  async next<T>(parse: PrefixParser<T>): Promise<T> {
    for (;;) {
      const r = parse(this.#buf);
      if (r) {
        this.#buf = this.#buf.slice(r.used);
        return r.value;
      }
      if (this.#buf.length >= this.#limit) {
        throw new ProtocolError("too-long", "handshake too long");
      }
      const chunk = new Uint8Array(4096);
      const n = await this.#conn.read(chunk);
      if (n === null) {
        throw new ProtocolError("truncated", "connection closed during the handshake");
      }
      const grown = new Uint8Array(this.#buf.length + n);
      grown.set(this.#buf);
      grown.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = grown;
    }
  }

  /** Bytes read past the last parsed message. */
  rest(): Uint8Array {
    return this.#buf;
  }
}

/** Writes all of `data` to `conn`. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let o = 0;
  while (o < data.length) o += await conn.write(data.subarray(o));
}
