/** Cryptographic primitives from the platform, shaped for VMess. */
export { crc32, fnv1a32, hmacMd5, hmacSha256, md5, sha256 } from "./hash.ts";
export { Shake128Stream } from "./shake.ts";
export { sha1 } from "./sha1.ts";
export { type Aead, type AeadAlgorithm, createAead, TAG_LENGTH } from "./aead.ts";
export { AesCfbStream, aesDecryptBlock, aesEncryptBlock } from "./aes.ts";
