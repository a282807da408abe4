/**
 * Decodes one direction of a VMess body (spec §4, §6.1): wire bytes in any split, plaintexts out.
 * Pure and synchronous; the caller feeds what the socket gives and drains with `next()`.
 */
import { ProtocolError } from "../core/errors.ts";
import { CryptoError } from "../crypto/mod.ts";
import {
  type BodyCodecParams,
  type BodyFraming,
  type BodyPlan,
  type ChunkPlan,
  disposePlan,
  resolveBodyPlan,
  type StreamPlan,
} from "./body_plan.ts";
import { ByteQueue } from "./byte_queue.ts";

/**
 * Reassembles and opens chunks. Unlike V2Ray 4.34, a chunk that fails authentication is an error,
 * not silently dropped. Truncation is never an error here: at EOF the caller checks `finished`.
 */
export class BodyReader {
  readonly #plan: BodyPlan;
  readonly #queue = new ByteQueue();
  #finished = false;
  #failure: ProtocolError | null = null;
  // Current chunk: bytes still expected after its size field (-1: the size field comes next).
  #remaining = -1;
  #padLen = 0;
  #disposed = false;

  /** Same parameters as the peer's BodyWriter (maxChunkPayload is not used for reading). */
  constructor(params: BodyCodecParams) {
    this.#plan = resolveBodyPlan(params, true);
  }

  /** How the body is framed; a "raw" body has no terminator and ends at the transport's EOF. */
  get framing(): BodyFraming {
    return this.#plan.framing;
  }

  /** Whether the end-of-body chunk arrived; later bytes are ignored. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Whether undecoded bytes are held (with chunks: part of a chunk). At EOF, a framed body that is
   * neither finished nor partial was closed between chunks, a partial one was cut inside a chunk.
   */
  get partial(): boolean {
    return this.#queue.length > 0 || this.#remaining >= 0;
  }

  /**
   * Queues received bytes. The reader keeps them by reference and `next()` may return views of
   * them, so the caller must not reuse the array before calling `detach()` (and using up what
   * `next()` returned). Bytes after the terminator are dropped unread (V2Ray sends the
   * terminator's tag and padding; they are not verified).
   */
  push(wire: Uint8Array): void {
    this.#live();
    if (this.#finished || this.#failure || wire.length === 0) return;
    const cfb = this.#plan.cfb;
    this.#queue.push(cfb ? cfb.update(wire) : wire);
  }

  /** Bytes queued: no more plaintext than this can come out of next() before the next push(). */
  get buffered(): number {
    return this.#queue.length;
  }

  /** Copies the bytes still queued (part of a chunk), so the arrays given to push() may be reused. */
  detach(): void {
    this.#queue.detach();
  }

  /** Whether each plaintext is one datagram (packet mode), so plaintexts must not be merged. */
  get packet(): boolean {
    return this.#plan.packet;
  }

  /**
   * The next plaintext (one datagram in packet mode), or null when more bytes are needed or the
   * body has ended. Throws ProtocolError "bad-chunk" (failed authentication, impossible size) or
   * "chunk-too-large"; after that it keeps throwing the same error.
   */
  next(): Uint8Array | null {
    this.#live();
    if (this.#failure) throw this.#failure;
    if (this.#finished) return null;
    const plan = this.#plan;
    try {
      if (plan.framing === "raw") {
        return this.#queue.length > 0 ? this.#queue.takeSome(Infinity) : null;
      }
      if (plan.framing === "stream") return this.#nextStream(plan);
      const sealed = this.#nextSealed(plan, plan.auth.opensToView);
      if (sealed === null) return null;
      const plaintext = plan.auth.open(sealed);
      if (plaintext === null) throw badChunk();
      return plaintext;
    } catch (e) {
      throw this.#failed(e);
    }
  }

  /**
   * Like next(), but the plaintext is written into `out` at `offset` (which must have room for
   * `buffered` bytes) and its length returned; 0 when more bytes are needed or the body has ended.
   * Chunks are opened straight into `out`: no array per chunk.
   */
  nextInto(out: Uint8Array, offset: number): number {
    this.#live();
    if (this.#failure) throw this.#failure;
    if (this.#finished) return 0;
    const plan = this.#plan;
    try {
      if (plan.framing !== "chunks") {
        const part = plan.framing === "raw"
          ? this.#queue.length > 0 ? this.#queue.takeSome(Infinity) : null
          : this.#nextStream(plan);
        if (part === null) return 0;
        out.set(part, offset);
        return part.length;
      }
      // The sealed bytes are used up before the next take, so the queue's scratch will do.
      const sealed = this.#nextSealed(plan, false);
      if (sealed === null) return 0;
      const n = plan.auth.openInto(sealed, out, offset);
      if (n < 0) throw badChunk();
      return n;
    } catch (e) {
      throw this.#failed(e);
    }
  }

  /** Frees the body's contexts (AEAD, CFB); idempotent. Later calls throw CryptoError "disposed". */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#queue.clear();
    disposePlan(this.#plan);
  }

  #live(): void {
    if (this.#disposed) throw new CryptoError("disposed", "VMess body reader used after dispose");
  }

  // A ProtocolError sticks: the reader keeps throwing it.
  #failed(e: unknown): unknown {
    if (e instanceof ProtocolError) {
      this.#failure = e;
      this.#queue.clear();
    }
    return e;
  }

  #finish(): null {
    this.#finished = true;
    this.#remaining = -1;
    this.#queue.clear();
    return null;
  }

  // none over TCP: data is unauthenticated, so it is handed out as it arrives, without copying.
  #nextStream(plan: StreamPlan): Uint8Array | null {
    const queue = this.#queue;
    if (this.#remaining < 0) {
      if (queue.length < 2) return null;
      const size = plan.size.decode(queue.take(2, false));
      if (size === 0) return this.#finish();
      this.#remaining = size;
    }
    if (queue.length === 0) return null;
    const part = queue.takeSome(this.#remaining);
    this.#remaining -= part.length;
    if (this.#remaining === 0) this.#remaining = -1;
    return part;
  }

  // The next chunk's sealed payload once it is all here (padding skipped), else null; null also
  // for the terminator, which finishes the body.
  #nextSealed(plan: ChunkPlan, keep: boolean): Uint8Array | null {
    const queue = this.#queue;
    const { auth, size, padding } = plan;
    if (this.#remaining < 0) {
      if (queue.length < size.fieldLength) return null;
      const field = queue.take(size.fieldLength, false);
      // Padding is drawn before the mask (spec §4.2), once the whole field is here.
      const padLen = padding ? padding.next() : 0;
      const chunkSize = size.decode(field);
      const empty = auth.overhead + padLen;
      if (chunkSize === empty) return this.#finish();
      if (chunkSize < empty) {
        throw new ProtocolError(
          "bad-chunk",
          `chunk size ${chunkSize} is below its overhead ${auth.overhead} + padding ${padLen}`,
        );
      }
      this.#remaining = chunkSize;
      this.#padLen = padLen;
    }
    if (queue.length < this.#remaining) return null;
    // A view handed back to the caller must not live in the queue's reused scratch buffer.
    const sealed = queue.take(this.#remaining - this.#padLen, keep);
    queue.skip(this.#padLen);
    this.#remaining = -1;
    return sealed;
  }
}

function badChunk(): ProtocolError {
  return new ProtocolError("bad-chunk", "VMess body chunk failed authentication");
}
