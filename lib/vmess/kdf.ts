/** VMess AEAD KDF (spec §2.1): HMAC-SHA256 keyed "VMess AEAD KDF", nested once per label. */
import { createHmac } from "node:crypto";
import { utf8 } from "../core/bytes.ts";

type Hash = (m: Uint8Array) => Uint8Array;

const BASE_KEY = utf8("VMess AEAD KDF");
const BLOCK = 64;

const base: Hash = (m) => new Uint8Array(createHmac("sha256", BASE_KEY).update(m).digest());

// HMAC over an arbitrary hash function `h` (block 64): the nesting VMess defines.
function hmacOver(h: Hash, key: Uint8Array): Hash {
  let k = key.length > BLOCK ? h(key) : key;
  const padded = new Uint8Array(BLOCK);
  padded.set(k);
  k = padded;
  const ipad = k.map((b) => b ^ 0x36);
  const opad = k.map((b) => b ^ 0x5c);
  return (m) => {
    const inner = new Uint8Array(BLOCK + m.length);
    inner.set(ipad);
    inner.set(m, BLOCK);
    const ih = h(inner);
    const outer = new Uint8Array(BLOCK + ih.length);
    outer.set(opad);
    outer.set(ih, BLOCK);
    return h(outer);
  };
}

/** KDF(key, label1, label2, …): 32 bytes. Labels are strings (UTF-8) or raw bytes. */
export function kdf(key: Uint8Array, ...labels: (string | Uint8Array)[]): Uint8Array {
  let h = base;
  for (const l of labels) h = hmacOver(h, typeof l === "string" ? utf8(l) : l);
  return h(key);
}

/** The first 16 bytes of kdf(). */
export function kdf16(key: Uint8Array, ...labels: (string | Uint8Array)[]): Uint8Array {
  return kdf(key, ...labels).slice(0, 16);
}
