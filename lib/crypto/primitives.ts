/**
 * lib/crypto's primitives, each through the active backend (select.ts). Keyed objects bind to the
 * backend active when they are created, and own their context: call dispose() when done.
 */
import { cryptoBackend } from "./select.ts";
import type { Aead, AeadAlgorithm, CipherStream, HashAlgorithm, HashState } from "./types.ts";

/** A keyed AEAD (16-byte key for GCM, 32 for ChaCha20-Poly1305); dispose() it when done. */
export function createAead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
  return cryptoBackend().createAead(algorithm, key);
}

/** Seals once under `key` (nothing to dispose): ciphertext ‖ tag. */
export function aeadSeal(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  return cryptoBackend().aeadSeal(algorithm, key, nonce, plaintext, aad);
}

/** Opens once under `key` (nothing to dispose); null when the tag does not verify. */
export function aeadOpen(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Uint8Array | null {
  return cryptoBackend().aeadOpen(algorithm, key, nonce, sealed, aad);
}

/** A fresh resumable digest state. */
export function createHash(algorithm: HashAlgorithm): HashState {
  return cryptoBackend().createHash(algorithm);
}

/** MD5 of the concatenation of the parts. */
export function md5(...parts: Uint8Array[]): Uint8Array {
  return cryptoBackend().digest("md5", parts);
}

/** SHA-1 of the concatenation of the parts (WebSocket's Sec-WebSocket-Accept). */
export function sha1(...parts: Uint8Array[]): Uint8Array {
  return cryptoBackend().digest("sha1", parts);
}

/** SHA-256 of the concatenation of the parts. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  return cryptoBackend().digest("sha256", parts);
}

/** HMAC-SHA256(key, data). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return cryptoBackend().hmac("sha256", key, data);
}

/** HMAC-MD5(key, data). */
export function hmacMd5(key: Uint8Array, data: Uint8Array): Uint8Array {
  return cryptoBackend().hmac("md5", key, data);
}

/** AES-128-ECB encryption of one 16-byte block. */
export function aesEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  return cryptoBackend().aesBlock(key, block, false);
}

/** AES-128-ECB decryption of one 16-byte block. */
export function aesDecryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  return cryptoBackend().aesBlock(key, block, true);
}

/** The first `length` bytes of SHAKE128(seed). */
export function shake128(seed: Uint8Array, length: number): Uint8Array {
  return cryptoBackend().shake128(seed, length);
}

/** AES-128-CFB of `data` from the start of a stream (a header), with nothing left to dispose. */
export function aesCfb(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
  decrypt: boolean,
): Uint8Array {
  const stream = cryptoBackend().createAesCfb(key, iv, decrypt);
  try {
    return stream.update(data);
  } finally {
    stream.dispose();
  }
}

/**
 * Full-block AES-128-CFB that continues across calls of any length, as Go's cipher.Stream does.
 * It owns a context: dispose() it when done (a body codec does so when it is disposed).
 */
export class AesCfbStream implements CipherStream {
  readonly #stream: CipherStream;

  /** A CFB stream; `decrypt` selects the direction. */
  constructor(key: Uint8Array, iv: Uint8Array, decrypt: boolean) {
    this.#stream = cryptoBackend().createAesCfb(key, iv, decrypt);
  }

  /** Encrypts or decrypts the next bytes of the stream into a new array. */
  update(data: Uint8Array): Uint8Array {
    return this.#stream.update(data);
  }

  /** Frees the context; idempotent. */
  dispose(): void {
    this.#stream.dispose();
  }

  /** Same as dispose(), for `using`. */
  [Symbol.dispose](): void {
    this.#stream.dispose();
  }
}
