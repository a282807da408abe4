/** Errors of the crypto backends, with a typed code. */
import { DenorayError } from "../core/errors.ts";

/** Every CryptoError code. */
export const CRYPTO_ERROR_CODES = [
  /** A backend could not be loaded (no library, no permission, failed self-test). */
  "unavailable",
  /** A keyed object was used after dispose(). */
  "disposed",
  /** The library reported failure where it cannot fail on valid input. */
  "library-failure",
] as const;

/** What went wrong in a crypto backend. */
export type CryptoErrorCode = typeof CRYPTO_ERROR_CODES[number];

/** A crypto backend failure; argument errors (lengths, offsets) are RangeErrors instead. */
export class CryptoError extends DenorayError {
  /** The kind of failure. */
  declare readonly code: CryptoErrorCode;

  /** An error of kind `code`. */
  constructor(code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
