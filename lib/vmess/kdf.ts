/**
 * VMess AEAD KDF (spec §2.1): HMAC-SHA256 keyed "VMess AEAD KDF", nested once per label: each
 * label's HMAC uses the previous level as its hash. A KDF of d labels therefore costs 2^(d+1)
 * SHA-256 runs, and a connection's header needs four KDFs of three labels, which made the KDF the
 * largest per-connection cost (`deno task profile -- --workload rate`). Every SHA-256 run here
 * resumes a state that has already absorbed the fixed 64-byte key pads in front of its message
 * (node's Hash.copy), so each costs one copy, one update and one digest.
 */
import { createHash, type Hash as NodeHash } from "node:crypto";
import { utf8 } from "../core/bytes.ts";

const BLOCK = 64;

/** One level of the nesting: a hash, and the same hash with a 64-byte block absorbed up front. */
interface Level {
  /** The hash of `message` (after whatever this level has absorbed already). */
  run(message: Uint8Array): Uint8Array;
  /** This level with `block` absorbed first, computed once. */
  prefixed(block: Uint8Array): Level;
}

function pads(key: Uint8Array): { ipad: Uint8Array; opad: Uint8Array } {
  const ipad = new Uint8Array(BLOCK).fill(0x36), opad = new Uint8Array(BLOCK).fill(0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  return { ipad, opad };
}

// HMAC-SHA256 under the base key, its inner hash resumed from `inner` (the key pad and any blocks
// absorbed after it) and its outer hash from `outer`. Buffers are Uint8Arrays: no copies.
function baseLevel(inner: NodeHash, outer: NodeHash): Level {
  return {
    run: (message) => outer.copy().update(inner.copy().update(message).digest()).digest(),
    prefixed: (block) => baseLevel(inner.copy().update(block), outer),
  };
}

// HMAC of `key` over the level `h`: h(opad ‖ h(ipad ‖ m)), both pads absorbed ahead of time.
function hmacLevel(h: Level, key: Uint8Array): Level {
  const { ipad, opad } = pads(key.length > BLOCK ? h.run(key) : key);
  return nested(h.prefixed(ipad), h.prefixed(opad));
}

function nested(inner: Level, outer: Level): Level {
  return {
    run: (message) => outer.run(inner.run(message)),
    prefixed: (block) => nested(inner.prefixed(block), outer),
  };
}

const BASE: Level = (() => {
  const { ipad, opad } = pads(utf8("VMess AEAD KDF"));
  return baseLevel(createHash("sha256").update(ipad), createHash("sha256").update(opad));
})();

// Levels for string labels, which are constants in the protocol: built once per label path (the
// bound only guards against a caller that would pass varying strings).
const levels = new Map<string, Level>();
const MAX_CACHED_LEVELS = 64;

function levelFor(labels: readonly (string | Uint8Array)[]): Level {
  let h = BASE;
  let path = "";
  let cacheable = true;
  for (const l of labels) {
    if (typeof l === "string" && cacheable) {
      path += `\u0000${l}`;
      const cached = levels.get(path);
      if (cached) {
        h = cached;
        continue;
      }
      h = hmacLevel(h, utf8(l));
      if (levels.size < MAX_CACHED_LEVELS) levels.set(path, h);
      continue;
    }
    cacheable = false;
    h = hmacLevel(h, typeof l === "string" ? utf8(l) : l);
  }
  return h;
}

/** KDF(key, label1, label2, …): 32 bytes. Labels are strings (UTF-8) or raw bytes. */
export function kdf(key: Uint8Array, ...labels: (string | Uint8Array)[]): Uint8Array {
  // A plain array for callers: node's Buffer.slice() would hand out views, not copies.
  return new Uint8Array(levelFor(labels).run(key));
}

/** The first 16 bytes of kdf(). */
export function kdf16(key: Uint8Array, ...labels: (string | Uint8Array)[]): Uint8Array {
  return kdf(key, ...labels).slice(0, 16);
}
