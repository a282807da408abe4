/**
 * VMess AEAD KDF (spec §2.1): HMAC-SHA256 keyed "VMess AEAD KDF", nested once per label: each
 * label's HMAC uses the previous level as its hash. A KDF of d labels therefore costs 2^(d+1)
 * SHA-256 runs, and a connection's header needs four KDFs of three labels, which made the KDF the
 * largest per-connection cost (`deno task profile -- --workload rate`). Every SHA-256 run here
 * resumes a state that has already absorbed the fixed 64-byte key pads in front of its message
 * (HashState.digestWith), so each costs one state copy, one update and one final.
 */
import { createHash, type CryptoStatus, cryptoStatus, type HashState } from "../crypto/mod.ts";
import { utf8 } from "../core/bytes.ts";

const BLOCK = 64;

/** One level of the nesting: a hash, and the same hash with a 64-byte block absorbed up front. */
interface Level {
  /** Nesting depth (0 for the base HMAC): which scratch digest the level's runs use. */
  readonly depth: number;
  /**
   * Writes the 32-byte hash of `message` (after whatever this level has absorbed already) into
   * `out` and returns it; `message` may be `out`.
   */
  run(message: Uint8Array, out: Uint8Array): Uint8Array;
  /** This level with `block` absorbed first, computed once. */
  prefixed(block: Uint8Array): Level;
}

// The key pads of the level being built, absorbed into hash states at once: reused, not kept.
const ipad = new Uint8Array(BLOCK), opad = new Uint8Array(BLOCK);

function fillPads(key: Uint8Array): void {
  ipad.fill(0x36);
  opad.fill(0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
}

// Intermediate digests, one per depth: a level's inner digest is its outer's message at once.
// Allocations cost more than the SHA-256 runs here, so a KDF allocates only its result.
const scratch: Uint8Array[] = [];

function scratchAt(depth: number): Uint8Array {
  return scratch[depth] ??= new Uint8Array(32);
}

// HMAC-SHA256 under the base key, its inner hash resumed from `inner` (the key pad and any blocks
// absorbed after it) and its outer hash from `outer`.
function baseLevel(inner: HashState, outer: HashState): Level {
  return {
    depth: 0,
    run: (message, out) => outer.digestWith(inner.digestWith(message, scratchAt(0)), out),
    prefixed: (block) => baseLevel(inner.copy().update(block), outer),
  };
}

// HMAC of `key` over the level `h`: h(opad ‖ h(ipad ‖ m)), both pads absorbed ahead of time.
function hmacLevel(h: Level, key: Uint8Array): Level {
  fillPads(key.length > BLOCK ? h.run(key, new Uint8Array(32)) : key);
  const inner = h.prefixed(ipad);
  return nested(inner, h.prefixed(opad));
}

function nested(inner: Level, outer: Level): Level {
  const depth = inner.depth + 1;
  return {
    depth,
    run: (message, out) => outer.run(inner.run(message, scratchAt(depth)), out),
    prefixed: (block) => nested(inner.prefixed(block), outer),
  };
}

// The base level and the levels of string labels, which are constants in the protocol: built once
// per label path (the bound only guards against a caller passing varying strings), and again if
// the CLI switches the crypto backend after import.
const MAX_CACHED_LEVELS = 64;
let cache: { backend: CryptoStatus; base: Level; levels: Map<string, Level> } | null = null;

function levels(): { base: Level; levels: Map<string, Level> } {
  const backend = cryptoStatus();
  if (cache?.backend !== backend) {
    fillPads(utf8("VMess AEAD KDF"));
    const base = baseLevel(createHash("sha256").update(ipad), createHash("sha256").update(opad));
    cache = { backend, base, levels: new Map() };
  }
  return cache;
}

function levelFor(labels: readonly (string | Uint8Array)[]): Level {
  const { base, levels: cached } = levels();
  let h = base;
  let path = "";
  let cacheable = true;
  for (const l of labels) {
    if (typeof l === "string" && cacheable) {
      path += `\u0000${l}`;
      const known = cached.get(path);
      if (known) {
        h = known;
        continue;
      }
      h = hmacLevel(h, utf8(l));
      if (cached.size < MAX_CACHED_LEVELS) cached.set(path, h);
      continue;
    }
    cacheable = false;
    h = hmacLevel(h, typeof l === "string" ? utf8(l) : l);
  }
  return h;
}

/** KDF(key, label1, label2, …): 32 bytes in a new array. Labels are strings (UTF-8) or bytes. */
export function kdf(key: Uint8Array, ...labels: (string | Uint8Array)[]): Uint8Array {
  return levelFor(labels).run(key, new Uint8Array(32));
}

/** The first 16 bytes of kdf(). */
export function kdf16(key: Uint8Array, ...labels: (string | Uint8Array)[]): Uint8Array {
  return kdf(key, ...labels).slice(0, 16);
}
