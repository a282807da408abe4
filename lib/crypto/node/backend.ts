/**
 * The `node` backend: Deno's node:crypto, for systems without libcrypto or without --allow-ffi.
 * Deno's node:crypto has no AES-CFB, so that one mode comes from @noble/ciphers. This module is
 * imported only when the backend is chosen, so neither is loaded when `openssl` is active.
 */
import type { Hash as NodeHashObject } from "node:crypto";
import { cfb } from "@noble/ciphers/aes.js";
import { CryptoError } from "../errors.ts";
import {
  aeadKeyLength,
  checkInput,
  checkLength,
  checkOpen,
  checkOverlap,
  checkRoom,
  checkSeal,
  MAX_INPUT,
} from "../checks.ts";
import {
  type Aead,
  type AeadAlgorithm,
  type CipherStream,
  type CryptoBackend,
  type HashAlgorithm,
  type HashState,
  TAG_LENGTH,
} from "../types.ts";

// A dynamic import, so that `deno bundle` keeps node:crypto out of the bundle's static imports
// too: it is loaded only when this backend is chosen.
const { createCipheriv, createDecipheriv, createHash, createHmac } = await import("node:crypto");

const OPTS = { authTagLength: TAG_LENGTH };

// Separate literal calls: node's typings pick the AEAD overload only for a literal algorithm.
function cipherOf(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array) {
  return algorithm === "aes-128-gcm"
    ? createCipheriv("aes-128-gcm", key, nonce, OPTS)
    : createCipheriv("chacha20-poly1305", key, nonce, OPTS);
}

function decipherOf(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array) {
  return algorithm === "aes-128-gcm"
    ? createDecipheriv("aes-128-gcm", key, nonce, OPTS)
    : createDecipheriv("chacha20-poly1305", key, nonce, OPTS);
}

function seal(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
  aad: Uint8Array | undefined,
): void {
  checkSeal(nonce, plaintext, out, offset, aad);
  checkOverlap(plaintext, out, offset, plaintext.length);
  // node builds a cipher object per call (it has no IV reset), which is its per-chunk cost.
  const c = cipherOf(algorithm, key, nonce);
  if (aad) c.setAAD(aad, { plaintextLength: plaintext.length });
  const body = c.update(plaintext);
  out.set(body, offset);
  out.set(c.final(), offset + body.length);
  out.set(c.getAuthTag(), offset + plaintext.length);
}

function open(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  out: Uint8Array,
  offset: number,
  aad: Uint8Array | undefined,
): boolean {
  if (sealed.length < TAG_LENGTH) return false;
  checkOpen(nonce, sealed, out, offset, aad);
  const n = sealed.length - TAG_LENGTH;
  checkOverlap(sealed, out, offset, n);
  const d = decipherOf(algorithm, key, nonce);
  d.setAuthTag(sealed.subarray(n));
  if (aad) d.setAAD(aad, { plaintextLength: n });
  const body = d.update(sealed.subarray(0, n));
  let fin: Uint8Array;
  try {
    fin = d.final();
  } catch {
    out.fill(0, offset, offset + n);
    return false;
  }
  out.set(body, offset);
  out.set(fin, offset + body.length);
  return true;
}

/** An AEAD holding its key; node makes a cipher object per call. */
class NodeAead implements Aead {
  readonly algorithm: AeadAlgorithm;
  #key: Uint8Array | null;

  constructor(algorithm: AeadAlgorithm, key: Uint8Array) {
    checkLength(key, aeadKeyLength(algorithm), `${algorithm} key`);
    this.algorithm = algorithm;
    this.#key = key.slice();
  }

  #live(): Uint8Array {
    if (this.#key === null) {
      throw new CryptoError("disposed", `${this.algorithm} used after dispose`);
    }
    return this.#key;
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
    checkInput(plaintext, "plaintext");
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    seal(this.algorithm, this.#live(), nonce, plaintext, out, 0, aad);
    return out;
  }

  sealInto(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
    aad?: Uint8Array,
  ): void {
    seal(this.algorithm, this.#live(), nonce, plaintext, out, offset, aad);
  }

  open(nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | null {
    checkInput(sealed, "sealed input");
    if (sealed.length < TAG_LENGTH) return null;
    const out = new Uint8Array(sealed.length - TAG_LENGTH);
    return open(this.algorithm, this.#live(), nonce, sealed, out, 0, aad) ? out : null;
  }

  openInto(
    nonce: Uint8Array,
    sealed: Uint8Array,
    out: Uint8Array,
    offset: number,
    aad?: Uint8Array,
  ): boolean {
    return open(this.algorithm, this.#live(), nonce, sealed, out, offset, aad);
  }

  dispose(): void {
    this.#key = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** node's Hash, whose copy() resumes a state. */
class NodeHash implements HashState {
  readonly algorithm: HashAlgorithm;
  #h: NodeHashObject | null;

  constructor(algorithm: HashAlgorithm, h: NodeHashObject) {
    this.algorithm = algorithm;
    this.#h = h;
  }

  #live(): NodeHashObject {
    if (this.#h === null) throw new CryptoError("disposed", "hash state used after digest()");
    return this.#h;
  }

  update(data: Uint8Array): HashState {
    checkInput(data, "hash input");
    this.#live().update(data);
    return this;
  }

  copy(): HashState {
    return new NodeHash(this.algorithm, this.#live().copy());
  }

  digest(): Uint8Array {
    const d = this.#live().digest();
    this.#h = null;
    // A plain array: node's Buffer may be a view of a shared pool.
    return new Uint8Array(d);
  }

  digestWith(tail: Uint8Array, out?: Uint8Array, offset = 0): Uint8Array {
    checkInput(tail, "hash input");
    const d = this.#live().copy().update(tail).digest();
    if (!out) return new Uint8Array(d);
    checkRoom(out, offset, d.length);
    out.set(d, offset);
    return out;
  }
}

/**
 * Full-block AES-128-CFB that continues across calls of any length, as Go's cipher.Stream does.
 * @noble/ciphers' cfb is one-shot, so the bytes of the unfinished block are kept and re-run with
 * that block's IV on the next call; the output for them is identical, so only the new part is returned.
 */
class NobleCfb implements CipherStream {
  #key: Uint8Array | null;
  #blockIv: Uint8Array;
  #pending = new Uint8Array(0);
  readonly #decrypt: boolean;

  constructor(key: Uint8Array, iv: Uint8Array, decrypt: boolean) {
    checkLength(key, 16, "AES-128-CFB key");
    checkLength(iv, 16, "AES-128-CFB IV");
    this.#key = key.slice();
    this.#blockIv = iv.slice();
    this.#decrypt = decrypt;
  }

  update(data: Uint8Array): Uint8Array {
    const key = this.#key;
    if (key === null) throw new CryptoError("disposed", "AES-128-CFB used after dispose");
    checkInput(data, "CFB input");
    if (data.length === 0) return new Uint8Array(0);
    const p = this.#pending.length;
    const input = new Uint8Array(p + data.length);
    input.set(this.#pending, 0);
    input.set(data, p);
    const c = cfb(key, this.#blockIv);
    const output = this.#decrypt ? c.decrypt(input) : c.encrypt(input);
    const ciphertext = this.#decrypt ? input : output;
    const full = Math.floor(input.length / 16) * 16;
    if (full > 0) this.#blockIv = ciphertext.slice(full - 16, full);
    this.#pending = input.slice(full);
    return output.subarray(p);
  }

  dispose(): void {
    this.#key = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function checkHash(algorithm: string): void {
  if (algorithm !== "md5" && algorithm !== "sha1" && algorithm !== "sha256") {
    throw new RangeError(`unknown hash ${algorithm}`);
  }
}

/** The node:crypto backend. */
export const nodeBackend: CryptoBackend = {
  name: "node",
  description: `node:crypto (Deno ${Deno.version.deno}), AES-128-CFB from @noble/ciphers`,
  createAead: (algorithm, key) => new NodeAead(algorithm, key),
  aeadSeal(algorithm, key, nonce, plaintext, aad) {
    checkLength(key, aeadKeyLength(algorithm), `${algorithm} key`);
    checkInput(plaintext, "plaintext");
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    seal(algorithm, key, nonce, plaintext, out, 0, aad);
    return out;
  },
  aeadOpen(algorithm, key, nonce, sealed, aad) {
    checkLength(key, aeadKeyLength(algorithm), `${algorithm} key`);
    checkInput(sealed, "sealed input");
    if (sealed.length < TAG_LENGTH) return null;
    const out = new Uint8Array(sealed.length - TAG_LENGTH);
    return open(algorithm, key, nonce, sealed, out, 0, aad) ? out : null;
  },
  createHash(algorithm) {
    checkHash(algorithm);
    return new NodeHash(algorithm, createHash(algorithm));
  },
  digest(algorithm, parts) {
    checkHash(algorithm);
    const h = createHash(algorithm);
    for (const p of parts) {
      checkInput(p, "hash input");
      h.update(p);
    }
    return new Uint8Array(h.digest());
  },
  hmac(algorithm, key, data) {
    if (algorithm !== "md5" && algorithm !== "sha256") {
      throw new RangeError(`unknown HMAC hash ${algorithm}`);
    }
    checkInput(key, "HMAC key");
    checkInput(data, "HMAC input");
    return new Uint8Array(createHmac(algorithm, key).update(data).digest());
  },
  aesBlock(key, block, decrypt) {
    checkLength(key, 16, "AES-128 key");
    checkLength(block, 16, "AES block");
    const c = decrypt
      ? createDecipheriv("aes-128-ecb", key, null)
      : createCipheriv("aes-128-ecb", key, null);
    c.setAutoPadding(false);
    return new Uint8Array(c.update(block));
  },
  createAesCfb: (key, iv, decrypt) => new NobleCfb(key, iv, decrypt),
  shake128(seed, length) {
    checkInput(seed, "SHAKE128 seed");
    if (!Number.isInteger(length) || length < 0 || length > MAX_INPUT) {
      throw new RangeError(`SHAKE128 output length ${length} out of range`);
    }
    if (length === 0) return new Uint8Array(0);
    return new Uint8Array(createHash("shake128", { outputLength: length }).update(seed).digest());
  },
};
