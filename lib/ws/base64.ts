/** Base64 for WebSocket early data: RawURL out (what V2Fly and Xray send), std or url in, padding optional. */

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  DECODE[STD.charCodeAt(i)] = i;
  DECODE[URL_ALPHABET.charCodeAt(i)] = i;
}

/** Base64 with the URL alphabet and no padding (Go's RawURLEncoding). */
export function base64RawUrl(b: Uint8Array): string {
  let s = "";
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += URL_ALPHABET[n >> 18] + URL_ALPHABET[(n >> 12) & 63] + URL_ALPHABET[(n >> 6) & 63] +
      URL_ALPHABET[n & 63];
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i] << 16;
    s += URL_ALPHABET[n >> 18] + URL_ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (b[i] << 16) | (b[i + 1] << 8);
    s += URL_ALPHABET[n >> 18] + URL_ALPHABET[(n >> 12) & 63] + URL_ALPHABET[(n >> 6) & 63];
  }
  return s;
}

/**
 * Decodes std or URL-alphabet base64 as Xray's server does: every `=` is dropped, `+`/`/` and
 * `-`/`_` are alike, then RawURL decoding (unused trailing bits may be set, as Go's non-strict
 * decoder allows). Null when a char is outside the alphabets or the length is impossible.
 */
export function decodeBase64Lenient(s: string): Uint8Array | null {
  const text = s.replaceAll("=", "");
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0, acc = 0, bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 256 ? DECODE[c] : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
