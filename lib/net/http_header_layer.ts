/**
 * The TCP HTTP header layer (tcpSettings.header.type "http") on both sides, as V2Ray 4.34 runs it
 * (inside TLS when both are on): the client puts its fake request head before its first write and
 * skips the server's response head; the server checks the request head (a canned 400 or 404 and a
 * close otherwise) and puts its fake response head before its first write.
 */
import { randomInt } from "../core/bytes.ts";
import type { ByteStream } from "../core/stream.ts";
import {
  errorResponse,
  type HttpHeaderSettings,
  MAX_HEAD_BYTES,
  readRequestHead,
  requestHead,
  responseHead,
  skipResponseHead,
} from "../http_header/mod.ts";
import { EndedBeforeHead, readHead } from "./head_reader.ts";
import { PrefixedStream } from "./prefixed_stream.ts";

const pick = (n: number) => randomInt(n);

/** A stream whose first write (or half-close) is preceded by `head`. */
class HeadFirstStream implements ByteStream {
  readonly #inner: ByteStream;
  #head: Uint8Array | null;

  constructor(inner: ByteStream, head: Uint8Array) {
    this.#inner = inner;
    this.#head = head;
  }

  read(max?: number): Promise<Uint8Array | null> {
    return this.#inner.read(max);
  }

  write(data: Uint8Array): Promise<void> {
    const h = this.#head;
    if (!h) return this.#inner.write(data);
    this.#head = null;
    const both = new Uint8Array(h.length + data.length);
    both.set(h);
    both.set(data, h.length);
    return this.#inner.write(both);
  }

  async closeWrite(): Promise<void> {
    if (this.#head) await this.write(new Uint8Array(0));
    await this.#inner.closeWrite();
  }

  close(): void {
    this.#inner.close();
  }
}

/** Server side: reads and checks the request head; resolves with the stream after it. */
export async function acceptHttpHeader(
  stream: ByteStream,
  settings: HttpHeaderSettings,
): Promise<ByteStream> {
  const { value: head, buffered } = await readHead(
    stream,
    (b) => readRequestHead(b, settings),
    MAX_HEAD_BYTES,
    "http-header",
  );
  if (head.kind === "reject") {
    await stream.write(errorResponse(head.status, new Date())).catch(() => {});
    throw head.error;
  }
  const rest = buffered.subarray(head.used);
  const inner = rest.length > 0 ? new PrefixedStream(rest, stream) : stream;
  return new HeadFirstStream(inner, responseHead(settings, pick, new Date()));
}

/** Client side: the request head goes before the first write; the response head is skipped. */
export class HttpHeaderClientStream implements ByteStream {
  readonly #out: HeadFirstStream;
  readonly #inner: ByteStream;
  #skipped = false;
  #rest: Uint8Array | null = null;

  /** Wraps `inner` with the heads `settings` describe. */
  constructor(inner: ByteStream, settings: HttpHeaderSettings) {
    this.#inner = inner;
    this.#out = new HeadFirstStream(inner, requestHead(settings, pick));
  }

  /** The server's bytes after its response head. */
  async read(max?: number): Promise<Uint8Array | null> {
    if (!this.#skipped) {
      this.#skipped = true;
      let buffered: Uint8Array;
      let used: number;
      try {
        const r = await readHead(this.#inner, skipResponseHead, MAX_HEAD_BYTES, "http-header");
        buffered = r.buffered;
        used = r.value;
      } catch (e) {
        // A server that closes before any response head (4.34 on a bad request) is just the end.
        if (e instanceof EndedBeforeHead) return null;
        throw e;
      }
      if (buffered.length > used) this.#rest = buffered.subarray(used);
    }
    const r = this.#rest;
    if (r) {
      const n = max === undefined ? r.length : Math.min(max, r.length);
      this.#rest = n < r.length ? r.subarray(n) : null;
      return r.subarray(0, n);
    }
    return await this.#inner.read(max);
  }

  /** The first write carries the request head. */
  write(data: Uint8Array): Promise<void> {
    return this.#out.write(data);
  }

  /** Half-closes (after the request head, if nothing was written). */
  closeWrite(): Promise<void> {
    return this.#out.closeWrite();
  }

  /** Closes the transport. */
  close(): void {
    this.#inner.close();
  }
}
