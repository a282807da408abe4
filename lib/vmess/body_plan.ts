/**
 * Turns a request's security and option byte into how one direction of the body is framed
 * (spec §4, §6.1). Shared by BodyWriter and BodyReader so both sides read the options alike.
 */
import { AesCfbStream, Shake128Stream } from "../crypto/mod.ts";
import { ProtocolError } from "../core/errors.ts";
import type { BodyKeys } from "./body_keys.ts";
import { AeadChunkAuth, type ChunkAuth, FnvChunkAuth, NoneChunkAuth } from "./chunk_auth.ts";
import {
  AuthenticatedSize,
  type ChunkSizeCodec,
  MaskedSize,
  MAX_CHUNK_SIZE,
  MAX_PADDING,
  PlainSize,
  ShakePadding,
} from "./chunk_size.ts";
import { kdf16 } from "./kdf.ts";
import { Option, type WireSecurity } from "./types.ts";

/**
 * Default largest plaintext per chunk: the sealed payload (plaintext + 16) then fits the
 * 16384-byte read buffer of sing-vmess; V2Ray reads up to 65535 and writes ≤ 1966 itself.
 */
export const DEFAULT_MAX_CHUNK_PAYLOAD = 16384 - 16;

/** What both body codecs are built from; one instance per direction. */
export interface BodyCodecParams {
  /** The header's security, or "zero" (byte 5 sent with S and M cleared: a raw body). */
  readonly security: WireSecurity | "zero";
  /** The request's option byte (Option bits); R is ignored, A only applies to AEAD securities. */
  readonly options: number;
  /** This direction's 16-byte body key (spec §4.1). */
  readonly key: Uint8Array;
  /** This direction's 16-byte body IV; it also seeds the SHAKE128 mask and padding stream. */
  readonly iv: Uint8Array;
  /** UDP (command 2): one datagram per chunk. */
  readonly packet: boolean;
  /** The *request* body key and IV, which option A uses in both directions (spec §4.8). */
  readonly authLengthKeys?: BodyKeys;
  /** Writer only: largest plaintext per chunk (and per datagram); default 16368. */
  readonly maxChunkPayload?: number;
  /**
   * aes-128-cfb only: the CFB stream of a legacy response header, which continues into the body
   * (spec §4.6). Without it a fresh stream on (key, iv) is used.
   */
  readonly cfb?: AesCfbStream;
}

/** What every plan carries. */
interface PlanBase {
  /** The CFB stream wrapping the whole body (aes-128-cfb), else null. */
  readonly cfb: AesCfbStream | null;
  /** One datagram per chunk. */
  readonly packet: boolean;
}

/** No framing: the body is the bytes (CFB-wrapped for aes-128-cfb); its end is the EOF. */
export interface RawPlan extends PlanBase {
  /** Discriminant. */
  readonly framing: "raw";
}

/** none over TCP with S: size ‖ data chunks, no authenticator, no padding; size 0 ends. */
export interface StreamPlan extends PlanBase {
  /** Discriminant. */
  readonly framing: "stream";
  /** Plain or masked size field. */
  readonly size: ChunkSizeCodec;
  /** Largest plaintext the writer puts in one chunk. */
  readonly maxChunkPayload: number;
}

/** The generic chunk: size ‖ sealed payload ‖ padding; the seal of nothing ends. */
export interface ChunkPlan extends PlanBase {
  /** Discriminant. */
  readonly framing: "chunks";
  /** Payload sealer. */
  readonly auth: ChunkAuth;
  /** Plain, masked or authenticated size field. */
  readonly size: ChunkSizeCodec;
  /** Padding draws when P applies, else null. */
  readonly padding: ShakePadding | null;
  /** Largest plaintext the writer puts in one chunk. */
  readonly maxChunkPayload: number;
}

/** The resolved layout of one direction. */
export type BodyPlan = RawPlan | StreamPlan | ChunkPlan;

/** "raw", "stream" or "chunks". */
export type BodyFraming = BodyPlan["framing"];

const SECURITIES: ReadonlySet<string> = new Set([
  "aes-128-cfb",
  "aes-128-gcm",
  "chacha20-poly1305",
  "none",
  "zero",
]);

/** Validates `params` and builds fresh per-direction state; `decrypt` picks the CFB direction. */
export function resolveBodyPlan(params: BodyCodecParams, decrypt: boolean): BodyPlan {
  const { security, key, iv, packet } = params;
  if (!SECURITIES.has(security)) throw new TypeError(`unknown body security ${security}`);
  if (key.length !== 16 || iv.length !== 16) {
    throw new RangeError("body key and IV must be 16 bytes each");
  }
  if (params.cfb && security !== "aes-128-cfb") {
    throw new TypeError("a running CFB stream only continues into an aes-128-cfb body");
  }
  // "zero" is security none with S and M cleared (V2Fly 4.35+, sing-vmess).
  const options = security === "zero"
    ? params.options & ~(Option.ChunkStream | Option.ChunkMasking)
    : params.options;
  const chunked = (options & Option.ChunkStream) !== 0;
  const masked = (options & Option.ChunkMasking) !== 0;
  const padded = (options & Option.GlobalPadding) !== 0;
  // V2Ray 4.34 panics (the whole process) on P without M, whatever the security: never take part.
  if (padded && !masked) {
    throw new ProtocolError("bad-options", "option P (global padding) requires M (chunk masking)");
  }
  const max = params.maxChunkPayload;
  const cfb = security === "aes-128-cfb" ? params.cfb ?? new AesCfbStream(key, iv, decrypt) : null;
  if (!chunked) return { framing: "raw", cfb, packet };

  const shake = masked ? new Shake128Stream(iv) : null;
  const size: ChunkSizeCodec = shake ? new MaskedSize(shake) : new PlainSize();
  if (security === "none" && !packet) {
    // V2Ray's ChunkStreamWriter: no authenticator and no padding even when P is set (spec §4.4).
    const maxChunkPayload = checkMaxPayload(max, MAX_CHUNK_SIZE);
    return { framing: "stream", cfb, packet, size, maxChunkPayload };
  }

  // What is built from here on may own contexts: if a later step throws, free them.
  const owned: { dispose(): void }[] = cfb && !params.cfb ? [cfb] : [];
  try {
    let auth: ChunkAuth;
    let sizeCodec = size;
    if (security === "aes-128-gcm" || security === "chacha20-poly1305") {
      auth = new AeadChunkAuth(security, key, iv);
      owned.push(auth);
      // V2Fly 4.41 honours A only for the AEAD securities; masking is then unused, padding is not.
      if (options & Option.AuthenticatedLength) {
        const req = params.authLengthKeys;
        if (!req) {
          throw new TypeError("option A needs the request body key and IV (authLengthKeys)");
        }
        sizeCodec = new AuthenticatedSize(
          new AeadChunkAuth(security, kdf16(req.key, "auth_len"), req.iv),
        );
        owned.push(sizeCodec);
      }
    } else {
      auth = security === "aes-128-cfb" ? new FnvChunkAuth() : new NoneChunkAuth();
    }
    const padding = padded && shake ? new ShakePadding(shake) : null;
    const limit = MAX_CHUNK_SIZE - auth.overhead - (padding ? MAX_PADDING : 0);
    const maxChunkPayload = checkMaxPayload(max, limit);
    return { framing: "chunks", auth, size: sizeCodec, padding, cfb, packet, maxChunkPayload };
  } catch (e) {
    for (const o of owned) o.dispose();
    throw e;
  }
}

/**
 * Frees the contexts a plan owns (AEADs, the CFB stream, including one handed in as `cfb`); the
 * reader or writer that resolved it calls this once, when its connection ends.
 */
export function disposePlan(plan: BodyPlan): void {
  plan.cfb?.dispose();
  if (plan.framing === "chunks") {
    plan.auth.dispose();
    plan.size.dispose();
  }
}

function checkMaxPayload(requested: number | undefined, limit: number): number {
  const max = requested ?? Math.min(DEFAULT_MAX_CHUNK_PAYLOAD, limit);
  if (!Number.isInteger(max) || max < 1 || max > limit) {
    throw new RangeError(`maxChunkPayload must be an integer in 1..${limit}, got ${max}`);
  }
  return max;
}
