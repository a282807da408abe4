/** SHA-1 from the platform (node:crypto): only for RFC 6455's Sec-WebSocket-Accept, never for security. */
import { createHash } from "node:crypto";

/** SHA-1 of the concatenation of the parts. */
export function sha1(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha1");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
