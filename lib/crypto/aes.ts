/** AES-128 single blocks (node:crypto ECB) and a resumable AES-128-CFB stream (@noble/ciphers). */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { cfb } from "@noble/ciphers/aes.js";

/** AES-128-ECB encryption of one 16-byte block. */
export function aesEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-128-ecb", key, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(block));
}

/** AES-128-ECB decryption of one 16-byte block. */
export function aesDecryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const d = createDecipheriv("aes-128-ecb", key, null);
  d.setAutoPadding(false);
  return new Uint8Array(d.update(block));
}

/**
 * Full-block AES-128-CFB that continues across calls of any length, as Go's cipher.Stream does.
 * @noble/ciphers' cfb is one-shot, so the bytes of the unfinished block are kept and re-run with
 * that block's IV on the next call; the output for them is identical, so only the new part is returned.
 */
export class AesCfbStream {
  #key: Uint8Array;
  #blockIv: Uint8Array;
  #pending = new Uint8Array(0);
  #decrypt: boolean;

  /** A CFB stream; `decrypt` selects the direction. */
  constructor(key: Uint8Array, iv: Uint8Array, decrypt: boolean) {
    this.#key = key.slice();
    this.#blockIv = iv.slice();
    this.#decrypt = decrypt;
  }

  /** Encrypts or decrypts the next bytes of the stream. */
  update(data: Uint8Array): Uint8Array {
    if (data.length === 0) return new Uint8Array(0);
    const p = this.#pending.length;
    const input = new Uint8Array(p + data.length);
    input.set(this.#pending, 0);
    input.set(data, p);
    const c = cfb(this.#key, this.#blockIv);
    const output = this.#decrypt ? c.decrypt(input) : c.encrypt(input);
    const ciphertext = this.#decrypt ? input : output;
    const full = Math.floor(input.length / 16) * 16;
    if (full > 0) this.#blockIv = ciphertext.slice(full - 16, full);
    this.#pending = input.slice(full);
    return output.subarray(p);
  }
}
