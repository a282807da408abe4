/** RFC 6455's key exchange: the client's random key and the server's Sec-WebSocket-Accept. */
import { sha1 } from "../crypto/mod.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return btoa(String.fromCharCode(...sha1(new TextEncoder().encode(key + GUID))));
}

/** A Sec-WebSocket-Key from 16 random bytes (passed in, as the codec takes no randomness itself). */
export function clientKey(random16: Uint8Array): string {
  if (random16.length !== 16) throw new RangeError("a WebSocket key takes 16 random bytes");
  return btoa(String.fromCharCode(...random16));
}
