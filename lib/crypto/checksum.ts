/** Non-cryptographic checksums VMess uses (FNV-1a, CRC-32): plain arithmetic, no backend. */

/** 32-bit FNV-1a of data (offset basis 0x811c9dc5, prime 0x01000193). */
export function fnv1a32(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// The reflected CRC-32/IEEE table (polynomial 0xedb88320), built once.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32/IEEE of data (the AuthID's 12 bytes). A checksum, not a cryptographic primitive: kept
 * here so that no backend (and no node:zlib) is needed for it.
 */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
