/**
 * Decodes one direction of a VMess body (spec §4, §6.1): wire bytes in any split, plaintexts out.
 * Pure and synchronous; the caller feeds what the socket gives and drains with `next()`.
 */
import { ProtocolError } from "../core/errors.ts";
import {
  type BodyCodecParams,
  type BodyFraming,
  type BodyPlan,
  type ChunkPlan,
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
    if (this.#finished || this.#failure || wire.length === 0) return;
    const cfb = this.#plan.cfb;
    this.#queue.push(cfb ? cfb.update(wire) : wire);
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
    if (this.#failure) throw this.#failure;
    if (this.#finished) return null;
    const plan = this.#plan;
    try {
      if (plan.framing === "raw") {
        return this.#queue.length > 0 ? this.#queue.takeSome(Infinity) : null;
      }
      return plan.framing === "stream" ? this.#nextStream(plan) : this.#nextChunk(plan);
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.#failure = e;
        this.#queue.clear();
      }
      throw e;
    }
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

  #nextChunk(plan: ChunkPlan): Uint8Array | null {
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
    const sealed = queue.take(this.#remaining - this.#padLen, auth.opensToView);
    queue.skip(this.#padLen);
    this.#remaining = -1;
    const plaintext = auth.open(sealed);
    if (plaintext === null) {
      throw new ProtocolError("bad-chunk", "VMess body chunk failed authentication");
    }
    return plaintext;
  }
}
