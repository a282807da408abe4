/**
 * Cryptographic primitives shaped for VMess, from one of two backends: `openssl` (libcrypto
 * through FFI) or `node` (node:crypto). The only module that touches a crypto platform.
 */
export { crc32, fnv1a32 } from "./checksum.ts";
export {
  aeadOpen,
  aeadSeal,
  aesCfb,
  AesCfbStream,
  aesDecryptBlock,
  aesEncryptBlock,
  createAead,
  createHash,
  hmacMd5,
  hmacSha256,
  md5,
  sha1,
  sha256,
  shake128,
} from "./primitives.ts";
export { Shake128Stream } from "./shake.ts";
export {
  type Aead,
  type AeadAlgorithm,
  BACKEND_NAMES,
  type BackendName,
  type CipherStream,
  type CryptoBackend,
  type HashAlgorithm,
  type HashState,
  NONCE_LENGTH,
  TAG_LENGTH,
} from "./types.ts";
export {
  CRYPTO_CHOICES,
  CRYPTO_ENV,
  type CryptoChoice,
  type CryptoStatus,
  cryptoStatus,
  describeCrypto,
  initCrypto,
  LIBCRYPTO_ENV,
  loadCryptoBackend,
  parseCryptoChoice,
  selectCryptoBackend,
  withCryptoBackend,
} from "./select.ts";
export { CryptoError, type CryptoErrorCode } from "./errors.ts";
