/**
 * Encodes one direction of a VMess body (spec §4, §6.1): plaintext in, wire bytes out. Pure and
 * synchronous; the caller owns the socket.
 */
import { ProtocolError } from "../core/errors.ts";
import { CryptoError } from "../crypto/mod.ts";
import {
  type BodyCodecParams,
  type BodyPlan,
  type ChunkPlan,
  disposePlan,
  resolveBodyPlan,
  type StreamPlan,
} from "./body_plan.ts";
import { MAX_PADDING } from "./chunk_size.ts";

const EMPTY = new Uint8Array(0);

/** Chunks, seals, masks and pads plaintext for the wire; `end()` gives the terminator. */
export class BodyWriter {
  readonly #plan: BodyPlan;
  #ended = false;
  #disposed = false;

  /** Throws ProtocolError "bad-options" for P without M, TypeError/RangeError for bad params. */
  constructor(params: BodyCodecParams) {
    this.#plan = resolveBodyPlan(params, false);
  }

  /** Whether `end()` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The wire bytes for `plaintext`. In packet mode `plaintext` is one datagram and becomes one
   * chunk; one larger than maxChunkPayload throws ProtocolError "chunk-too-large", and an empty
   * one is dropped (an empty chunk would be the terminator). A raw none body returns `plaintext`
   * itself. With `into` of at least `capacity(plaintext.length)` bytes, the result is a view of
   * `into` instead of a new array (the chunk path's allocations are a measurable cost).
   */
  write(plaintext: Uint8Array, into?: Uint8Array): Uint8Array {
    this.#live();
    if (this.#ended) throw new Error("VMess body write after end");
    const plan = this.#plan;
    if (plaintext.length === 0) return EMPTY;
    if (plan.framing === "raw") return plan.cfb ? plan.cfb.update(plaintext) : plaintext;
    if (plan.packet && plaintext.length > plan.maxChunkPayload) {
      throw new ProtocolError(
        "chunk-too-large",
        `a ${plaintext.length}-byte datagram exceeds the ${plan.maxChunkPayload}-byte chunk limit`,
      );
    }
    const wire = plan.framing === "stream"
      ? writeStream(plan, plaintext, into)
      : writeChunks(plan, plaintext, into);
    return plan.cfb ? plan.cfb.update(wire) : wire;
  }

  /**
   * The size of an `into` buffer that write() fills for `n` plaintext bytes; 0 when write() never
   * uses one (raw and aes-128-cfb bodies, whose output is the input or a new CFB array).
   */
  capacity(n: number): number {
    const plan = this.#plan;
    return plan.framing === "raw" || plan.cfb ? 0 : wireCapacity(plan, n);
  }

  /** The end-of-body bytes (empty for a raw body, whose end is the transport's EOF). */
  end(): Uint8Array {
    this.#live();
    if (this.#ended) throw new Error("VMess body ended twice");
    this.#ended = true;
    const plan = this.#plan;
    if (plan.framing === "raw") return EMPTY;
    let wire: Uint8Array;
    if (plan.framing === "stream") {
      wire = new Uint8Array(2);
      plan.size.encode(0, wire, 0);
    } else {
      // The seal of an empty plaintext: size = overhead + padLen; V2Ray also sends tag and padding.
      wire = new Uint8Array(chunkOverhead(plan));
      wire = wire.subarray(0, sealChunk(plan, EMPTY, wire, 0));
    }
    return plan.cfb ? plan.cfb.update(wire) : wire;
  }

  /** Frees the body's contexts (AEAD, CFB); idempotent. Later calls throw CryptoError "disposed". */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    disposePlan(this.#plan);
  }

  #live(): void {
    if (this.#disposed) throw new CryptoError("disposed", "VMess body writer used after dispose");
  }
}

// none over TCP: u16 size (masked with M) ‖ plaintext, no authenticator and no padding.
function writeStream(plan: StreamPlan, plaintext: Uint8Array, into?: Uint8Array): Uint8Array {
  const max = plan.maxChunkPayload;
  const out = buffer(wireCapacity(plan, plaintext.length), into);
  let o = 0;
  for (let p = 0; p < plaintext.length; p += max) {
    const piece = plaintext.subarray(p, p + max);
    plan.size.encode(piece.length, out, o);
    out.set(piece, o + 2);
    o += 2 + piece.length;
  }
  return out.subarray(0, o);
}

// One buffer for the whole write, sized for the worst padding; the unused tail is cut off.
function writeChunks(plan: ChunkPlan, plaintext: Uint8Array, into?: Uint8Array): Uint8Array {
  const max = plan.maxChunkPayload;
  const out = buffer(wireCapacity(plan, plaintext.length), into);
  let o = 0;
  for (let p = 0; p < plaintext.length; p += max) {
    o = sealChunk(plan, plaintext.subarray(p, p + max), out, o);
  }
  return out.subarray(0, o);
}

function buffer(size: number, into: Uint8Array | undefined): Uint8Array {
  return into && into.length >= size ? into : new Uint8Array(size);
}

// The most wire bytes `n` plaintext bytes can take (with chunks: at the worst padding).
function wireCapacity(plan: StreamPlan | ChunkPlan, n: number): number {
  const chunks = Math.ceil(n / plan.maxChunkPayload);
  return n + chunks * (plan.framing === "stream" ? 2 : chunkOverhead(plan));
}

// What one chunk adds to its plaintext at most: size field, tag or checksum, worst padding.
function chunkOverhead(plan: ChunkPlan): number {
  return plan.size.fieldLength + plan.auth.overhead + (plan.padding ? MAX_PADDING : 0);
}

// size ‖ sealed ‖ padding at `o`; returns the offset after it. The padding draw precedes the mask
// draw (spec §4.2). Padding bytes are random, as V2Ray sends them.
function sealChunk(plan: ChunkPlan, piece: Uint8Array, out: Uint8Array, o: number): number {
  const { auth, size, padding } = plan;
  const padLen = padding ? padding.next() : 0;
  size.encode(piece.length + auth.overhead + padLen, out, o);
  o += size.fieldLength;
  auth.sealInto(piece, out, o);
  o += piece.length + auth.overhead;
  if (padLen > 0) randomPadding(out, o, padLen);
  return o + padLen;
}

// CSPRNG bytes for padding, drawn 4 KiB at a time: one getRandomValues per chunk cost more than
// sealing a 2 KiB chunk with OpenSSL. Each byte is handed out once.
const pool = new Uint8Array(4096);
let poolUsed = pool.length;

function randomPadding(out: Uint8Array, offset: number, n: number): void {
  if (poolUsed + n > pool.length) {
    crypto.getRandomValues(pool);
    poolUsed = 0;
  }
  out.set(pool.subarray(poolUsed, poolUsed + n), offset);
  poolUsed += n;
}
