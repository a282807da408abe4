/** AEAD ciphers (AES-128-GCM, ChaCha20-Poly1305) with a 12-byte nonce and 16-byte tag, no AAD by default. */
import { createCipheriv, createDecipheriv } from "node:crypto";

/** The AEAD algorithms VMess uses. */
export type AeadAlgorithm = "aes-128-gcm" | "chacha20-poly1305";

/** Authentication tag length of every VMess AEAD. */
export const TAG_LENGTH = 16;

/** A keyed AEAD; synchronous, so the codec stays pure. */
export interface Aead {
  /** Encrypts `plaintext` and appends the tag: returns ciphertext ‖ tag. */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** Writes ciphertext ‖ tag (plaintext.length + 16 bytes) into `out` at `offset`. */
  sealInto(nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void;
  /** Returns the plaintext, or null when the tag does not verify. */
  open(nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | null;
}

/** An AEAD of `algorithm` keyed with `key` (16 bytes for GCM, 32 for ChaCha20-Poly1305). */
export function createAead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
  const k = key.slice();
  const opts = { authTagLength: TAG_LENGTH };
  // Separate literal calls: node's typings pick the AEAD overload only for a literal algorithm.
  const cipher = (nonce: Uint8Array) =>
    algorithm === "aes-128-gcm"
      ? createCipheriv("aes-128-gcm", k, nonce, opts)
      : createCipheriv("chacha20-poly1305", k, nonce, opts);
  const decipher = (nonce: Uint8Array) =>
    algorithm === "aes-128-gcm"
      ? createDecipheriv("aes-128-gcm", k, nonce, opts)
      : createDecipheriv("chacha20-poly1305", k, nonce, opts);
  // The chunk path seals straight into the wire buffer, without an intermediate sealed array.
  const sealInto = (
    nonce: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
    aad?: Uint8Array,
  ) => {
    const c = cipher(nonce);
    if (aad) c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    out.set(body, offset);
    out.set(c.final(), offset + body.length);
    out.set(c.getAuthTag(), offset + plaintext.length);
  };
  return {
    seal(nonce, plaintext, aad) {
      const out = new Uint8Array(plaintext.length + TAG_LENGTH);
      sealInto(nonce, plaintext, out, 0, aad);
      return out;
    },
    sealInto,
    open(nonce, sealed, aad) {
      if (sealed.length < TAG_LENGTH) return null;
      const n = sealed.length - TAG_LENGTH;
      const d = decipher(nonce);
      d.setAuthTag(sealed.subarray(n));
      if (aad) d.setAAD(aad, { plaintextLength: n });
      const body = d.update(sealed.subarray(0, n));
      try {
        const fin = d.final();
        if (fin.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
        const out = new Uint8Array(n);
        out.set(body, 0);
        out.set(fin, body.length);
        return out;
      } catch {
        return null;
      }
    },
  };
}
