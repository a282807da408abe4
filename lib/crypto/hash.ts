/** Digests and checksums from the platform (node:crypto, node:zlib), plus FNV-1a. */
import { createHash, createHmac } from "node:crypto";
import zlib from "node:zlib";

/** MD5 of the concatenation of the parts. */
export function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("md5");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** SHA-256 of data. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** HMAC-SHA256(key, data). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(data).digest());
}

/** HMAC-MD5(key, data). */
export function hmacMd5(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("md5", key).update(data).digest());
}

/** CRC-32/IEEE of data. */
export function crc32(data: Uint8Array): number {
  return zlib.crc32(data) >>> 0;
}

/** 32-bit FNV-1a of data (offset basis 0x811c9dc5, prime 0x01000193). */
export function fnv1a32(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
