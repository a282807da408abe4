/**
 * Reading a handshake head (PROXY header, HTTP request or response) off a ByteStream: bytes are
 * gathered until a pure parser decides, and whatever came after the head is handed back.
 */
import { ProtocolError } from "../core/errors.ts";
import type { ByteStream } from "../core/stream.ts";

/** What a head reader found: the parser's verdict and every byte read so far. */
export interface HeadRead<T> {
  /** The parser's non-null result. */
  readonly value: T;
  /** The bytes read from the stream (the head and what followed it). */
  readonly buffered: Uint8Array;
}

/** The stream ended before its first byte (the peer closed without a word). */
export class EndedBeforeHead extends ProtocolError {
  /** An end before the head of kind `code`. */
  constructor(code: string) {
    super(code, "connection closed before any byte");
  }
}

/**
 * Reads from `stream` until `parse(bytes so far)` returns non-null, at most `limit` bytes (past
 * it, or at end of stream, a ProtocolError of kind `code`; EndedBeforeHead without a byte). The parser sees a fresh copy each time.
 */
export async function readHead<T>(
  stream: ByteStream,
  parse: (buffered: Uint8Array) => T | null,
  limit: number,
  code: string,
): Promise<HeadRead<T>> {
  let buf = new Uint8Array(0);
  for (;;) {
    const chunk = await stream.read(Math.max(1, limit - buf.length));
    if (chunk === null) {
      if (buf.length === 0) throw new EndedBeforeHead(code);
      throw new ProtocolError(code, "connection closed mid-header");
    }
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
    const value = parse(buf);
    if (value !== null) return { value, buffered: buf };
    if (buf.length >= limit) throw new ProtocolError(code, `header over ${limit} bytes`);
  }
}
