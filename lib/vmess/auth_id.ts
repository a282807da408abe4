/** The AEAD AuthID (spec §2.2): AES-128-ECB of time ‖ random ‖ CRC32. */
import { aesDecryptBlock, aesEncryptBlock, crc32 } from "../crypto/mod.ts";
import { randomBytes } from "../core/bytes.ts";

/** Accepted clock skew of an AuthID, seconds. */
export const AUTH_ID_WINDOW = 120;

/** Seals an AuthID for `timeSec` with the user's AuthID key. */
export function sealAuthId(key: Uint8Array, timeSec: number, rand = randomBytes(4)): Uint8Array {
  const p = new Uint8Array(16);
  const v = new DataView(p.buffer);
  v.setBigInt64(0, BigInt(timeSec));
  p.set(rand, 8);
  v.setUint32(12, crc32(p.subarray(0, 12)));
  return aesEncryptBlock(key, p);
}

/** The AuthID's timestamp if it opens under `key` with a valid CRC, whatever the time, else null. */
export function authIdTime(key: Uint8Array, block: Uint8Array): number | null {
  const p = aesDecryptBlock(key, block);
  const v = new DataView(p.buffer, p.byteOffset, 16);
  if (crc32(p.subarray(0, 12)) !== v.getUint32(12)) return null;
  return Number(v.getBigInt64(0));
}

/** Whether an AuthID time `t` is within the window around `nowSec`. */
export function inAuthIdWindow(t: number, nowSec: number): boolean {
  return t >= 0 && Math.abs(t - nowSec) <= AUTH_ID_WINDOW;
}

/** The AuthID's timestamp if it opens under `key` with a valid CRC and time, else null. */
export function openAuthId(key: Uint8Array, block: Uint8Array, nowSec: number): number | null {
  const t = authIdTime(key, block);
  return t !== null && inAuthIdWindow(t, nowSec) ? t : null;
}
