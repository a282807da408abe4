/**
 * VMess AEAD KDF (spec §2.1): HMAC-SHA256 keyed "VMess AEAD KDF", nested once per label: each
 * label's HMAC uses the previous level as its hash. A KDF of d labels therefore costs 2^d HMACs
 * at the base; each is two SHA-256 runs resumed from precomputed key-pad states (node's
 * Hash.copy), and the messages go in as parts, never concatenated. That took a 3-label KDF from
 * ~116 µs (createHmac per base call) to ~35 µs here, and a connection's header needs four.
 */
import { createHash, type Hash as NodeHash } from "node:crypto";
import { utf8 } from "../core/bytes.ts";

/** One level of the nesting: a hash of the concatenation of `parts`. */
type Level = (parts: readonly Uint8Array[]) => Uint8Array;

const BLOCK = 64;

// SHA-256 states that have absorbed one 64-byte block: resumed by copy, never finished.
function absorbed(block: Uint8Array): NodeHash {
  return createHash("sha256").update(block);
}

function pads(key: Uint8Array): { ipad: Uint8Array; opad: Uint8Array } {
  const ipad = new Uint8Array(BLOCK).fill(0x36), opad = new Uint8Array(BLOCK).fill(0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  return { ipad, opad };
}

// The base level, HMAC-SHA256 under the fixed key; its key is shorter than a block.
const BASE = (() => {
  const { ipad, opad } = pads(utf8("VMess AEAD KDF"));
  const inner = absorbed(ipad), outer = absorbed(opad);
  const level: Level = (parts) => {
    const h = inner.copy();
    for (const p of parts) h.update(p);
    return new Uint8Array(outer.copy().update(h.digest()).digest());
  };
  return level;
})();

// HMAC of `key` over the hash `h` (block 64), as VMess nests it.
function hmacOver(h: Level, key: Uint8Array): Level {
  const { ipad, opad } = pads(key.length > BLOCK ? h([key]) : key);
  return (parts) => h([opad, h([ipad, ...parts])]);
}

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
      h = hmacOver(h, utf8(l));
      if (levels.size < MAX_CACHED_LEVELS) levels.set(path, h);
      continue;
    }
    cacheable = false;
    h = hmacOver(h, typeof l === "string" ? utf8(l) : l);
  }
  return h;
}

/** KDF(key, label1, label2, …): 32 bytes. Labels are strings (UTF-8) or raw bytes. */
export function kdf(key: Uint8Array, ...labels: (string | Uint8Array)[]): Uint8Array {
  return levelFor(labels)([key]);
}

/** The first 16 bytes of kdf(). */
export function kdf16(key: Uint8Array, ...labels: (string | Uint8Array)[]): Uint8Array {
  return kdf(key, ...labels).slice(0, 16);
}
