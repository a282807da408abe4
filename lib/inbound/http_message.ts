/** HTTP/1.x body framing (RFC 9112 §6–7): which framing a head implies, and where a body ends. */
import { ProtocolError } from "../core/errors.ts";
import type { HeaderLines } from "./http_head.ts";

/** How a message body is delimited: absent, by Content-Length, chunked, or by the connection closing. */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

const NONE: BodyFraming = { kind: "none" };
const CHUNKED: BodyFraming = { kind: "chunked" };
const CLOSE: BodyFraming = { kind: "close" };

// The comma-separated elements of every `name` header, trimmed; null when there is no such header.
function listValues(headers: HeaderLines, name: string): string[] | null {
  let out: string[] | null = null;
  for (const [k, v] of headers) {
    if (k.toLowerCase() !== name) continue;
    out ??= [];
    for (const e of v.split(",")) if (e.trim() !== "") out.push(e.trim());
  }
  return out;
}

// Content-Length: every value the same run of digits (RFC 9110 §8.6), else a protocol error.
function contentLength(headers: HeaderLines): number | null {
  const vs = listValues(headers, "content-length");
  if (vs === null) return null;
  if (vs.length === 0 || vs.some((v) => v !== vs[0]) || !/^\d{1,15}$/.test(vs[0])) {
    throw new ProtocolError("bad-length", "invalid Content-Length");
  }
  return Number(vs[0]);
}

// Whether the last transfer coding is chunked; null without Transfer-Encoding.
function chunkedLast(headers: HeaderLines): boolean | null {
  const te = listValues(headers, "transfer-encoding");
  if (te === null) return null;
  return te.length > 0 && te[te.length - 1].toLowerCase() === "chunked";
}

/** A request body's framing: chunked, Content-Length or none; other codings are a ProtocolError. */
export function requestFraming(headers: HeaderLines): BodyFraming {
  const chunked = chunkedLast(headers);
  if (chunked === false) {
    throw new ProtocolError("bad-framing", "request transfer-coding does not end in chunked");
  }
  if (chunked) return CHUNKED;
  const n = contentLength(headers);
  return n === null || n === 0 ? NONE : { kind: "length", length: n };
}

/** A response body's framing for a `method` request: none for HEAD, 1xx (but 101), 204 and 304. */
export function responseFraming(method: string, status: number, headers: HeaderLines): BodyFraming {
  if (status === 101) return CLOSE; // Switched protocols: whatever follows runs to the close.
  if (method === "HEAD" || (status >= 100 && status < 200) || status === 204 || status === 304) {
    return NONE;
  }
  const chunked = chunkedLast(headers);
  if (chunked !== null) return chunked ? CHUNKED : CLOSE;
  const n = contentLength(headers);
  return n === null ? CLOSE : n === 0 ? NONE : { kind: "length", length: n };
}

// Scanner states. DATA counts down `remaining`; the others step one byte at a time.
const DONE = 0, DATA = 1, SIZE = 2, EXT = 3, SIZE_LF = 4, DATA_CR = 5, DATA_LF = 6;
const TRAILER = 7, TRAILER_LINE = 8, TRAILER_LF = 9, FINAL_LF = 10, UNTIL_CLOSE = 11;

/** Longest chunk extension, and all trailer lines together, a scanner accepts. */
export const CHUNK_META_LIMIT = 16 * 1024;
const MAX_CHUNK = 2 ** 44; // 16 TiB: far beyond any real chunk, far below float trouble.

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/**
 * Finds where one body ends in a byte stream fed piece by piece; chunked framing is validated
 * but passed through unchanged. Synchronous and pure: bytes in, a count of body bytes out.
 */
export class BodyScanner {
  #state: number;
  readonly #chunked: boolean;
  #remaining = 0;
  #size = 0;
  #digits = 0;
  #meta = 0;

  /** A scanner for one body framed as `framing`. */
  constructor(framing: BodyFraming) {
    this.#chunked = framing.kind === "chunked";
    switch (framing.kind) {
      case "none":
        this.#state = DONE;
        break;
      case "length":
        this.#remaining = framing.length;
        this.#state = framing.length > 0 ? DATA : DONE;
        break;
      case "chunked":
        this.#state = SIZE;
        break;
      case "close":
        this.#state = UNTIL_CLOSE;
    }
  }

  /** Whether the whole body has been seen. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** How many leading bytes of `input` belong to the body (the rest follows it); throws on bad chunking. */
  push(input: Uint8Array): number {
    let i = 0;
    while (i < input.length && this.#state !== DONE) {
      if (this.#state === UNTIL_CLOSE) return input.length;
      if (this.#state === DATA) {
        const n = Math.min(this.#remaining, input.length - i);
        i += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = this.#chunked ? DATA_CR : DONE;
        continue;
      }
      this.#step(input[i++]);
    }
    return i;
  }

  /** The stream ended: fine when the body runs to the close or is complete, else a ProtocolError. */
  end(): void {
    if (this.#state === UNTIL_CLOSE) this.#state = DONE;
    if (this.#state !== DONE) throw new ProtocolError("truncated", "stream ended inside a body");
  }

  #step(b: number): void {
    const CR = 13, LF = 10;
    switch (this.#state) {
      case SIZE: {
        const h = hexValue(b);
        if (h >= 0) {
          if (this.#size >= MAX_CHUNK) throw bad("chunk size too large");
          this.#size = this.#size * 16 + h;
          this.#digits++;
        } else if (this.#digits === 0) throw bad("chunk size is not hex");
        else if (b === CR) this.#state = SIZE_LF;
        else if (b === 0x3b || b === 0x20 || b === 0x09) {
          this.#meta = 0;
          this.#state = EXT;
        } else throw bad("chunk size is not hex");
        return;
      }
      case EXT:
        if (b === CR) this.#state = SIZE_LF;
        else if (b === LF || b === 0 || ++this.#meta > CHUNK_META_LIMIT) {
          throw bad("bad chunk extension");
        }
        return;
      case SIZE_LF:
        if (b !== LF) throw bad("chunk size line not ended by CRLF");
        if (this.#size === 0) {
          this.#meta = 0;
          this.#state = TRAILER;
        } else {
          this.#remaining = this.#size;
          this.#state = DATA;
        }
        return;
      case DATA_CR:
        if (b !== CR) throw bad("chunk data not followed by CRLF");
        this.#state = DATA_LF;
        return;
      case DATA_LF:
        if (b !== LF) throw bad("chunk data not followed by CRLF");
        this.#size = 0;
        this.#digits = 0;
        this.#state = SIZE;
        return;
      case TRAILER:
        if (b === CR) this.#state = FINAL_LF;
        else if (b === LF || b === 0x20 || b === 0x09) throw bad("bad trailer line");
        else this.#trailerByte(TRAILER_LINE);
        return;
      case TRAILER_LINE:
        if (b === CR) this.#trailerByte(TRAILER_LF);
        else if (b === LF || b === 0) throw bad("bad trailer line");
        else this.#trailerByte(TRAILER_LINE);
        return;
      case TRAILER_LF:
        if (b !== LF) throw bad("bad trailer line");
        this.#trailerByte(TRAILER);
        return;
      case FINAL_LF:
        if (b !== LF) throw bad("chunked body not ended by CRLF");
        this.#state = DONE;
        return;
    }
  }

  #trailerByte(next: number): void {
    if (++this.#meta > CHUNK_META_LIMIT) throw bad("trailers too long");
    this.#state = next;
  }
}

function bad(message: string): ProtocolError {
  return new ProtocolError("bad-chunk", message);
}
