/**
 * Argument checks every backend runs before a call crosses into a library: under `openssl` a
 * wrong length or offset would be a native out-of-bounds access, so nothing reaches FFI unchecked,
 * and `node` runs the same checks so that both backends refuse the same inputs alike.
 */
import { type AeadAlgorithm, NONCE_LENGTH, TAG_LENGTH } from "./types.ts";

/** Largest input one call takes: lengths cross as C ints, and no VMess message comes near. */
export const MAX_INPUT = 0x3fff_ffff;

/** The key length of an AEAD algorithm. */
export function aeadKeyLength(algorithm: AeadAlgorithm): number {
  if (algorithm === "aes-128-gcm") return 16;
  if (algorithm === "chacha20-poly1305") return 32;
  throw new RangeError(`unknown AEAD algorithm ${String(algorithm)}`);
}

/** Throws unless `bytes` is a Uint8Array of exactly `n` bytes. */
export function checkLength(bytes: Uint8Array, n: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new RangeError(`${what} must be ${n} bytes, got ${describe(bytes)}`);
  }
}

/** Throws unless `bytes` is a Uint8Array of at most MAX_INPUT bytes. */
export function checkInput(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_INPUT) {
    throw new RangeError(`${what} must be a Uint8Array of at most ${MAX_INPUT} bytes`);
  }
}

/** Throws unless `out` holds `n` bytes from `offset` (an integer ≥ 0). */
export function checkRoom(out: Uint8Array, offset: number, n: number): void {
  if (!(out instanceof Uint8Array)) throw new RangeError("output must be a Uint8Array");
  if (!Number.isInteger(offset) || offset < 0 || offset > out.length - n) {
    throw new RangeError(`${n} bytes at offset ${offset} do not fit a ${out.length}-byte output`);
  }
}

/**
 * Throws when `input` and the `n` bytes of `out` at `offset` share memory without starting at the
 * same address: OpenSSL allows exact in-place operation only.
 */
export function checkOverlap(input: Uint8Array, out: Uint8Array, offset: number, n: number): void {
  if (input.buffer !== out.buffer || n === 0) return;
  const d = input.byteOffset - (out.byteOffset + offset);
  if (d !== 0 && Math.abs(d) < n) {
    throw new RangeError("input and output overlap partially (only exact in-place is allowed)");
  }
}

/** The checks shared by seal: key-independent lengths, room for ciphertext ‖ tag. */
export function checkSeal(
  nonce: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
  aad: Uint8Array | undefined,
): void {
  checkLength(nonce, NONCE_LENGTH, "AEAD nonce");
  checkInput(plaintext, "plaintext");
  if (aad) checkInput(aad, "AAD");
  checkRoom(out, offset, plaintext.length + TAG_LENGTH);
}

/** The checks shared by open; the sealed input is at least a tag long (callers check first). */
export function checkOpen(
  nonce: Uint8Array,
  sealed: Uint8Array,
  out: Uint8Array,
  offset: number,
  aad: Uint8Array | undefined,
): void {
  checkLength(nonce, NONCE_LENGTH, "AEAD nonce");
  checkInput(sealed, "sealed input");
  if (aad) checkInput(aad, "AAD");
  checkRoom(out, offset, sealed.length - TAG_LENGTH);
}

function describe(x: unknown): string {
  return x instanceof Uint8Array ? `${x.length}` : typeof x;
}
