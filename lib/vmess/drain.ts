/** Anti-probing drain parameters (spec §7.2), derived from the server's users. */
import { createHash, hmacSha256 } from "../crypto/mod.ts";
import { randomInt, utf8 } from "../core/bytes.ts";

/** Per-server drain: close after base + 16 + 38 + a per-connection roll in [0, randMax). */
export class DrainParameters {
  /** In [0, 3265]. */
  readonly base: number;
  /** In [1, 64]. */
  readonly randMax: number;

  /**
   * Deterministic per user set, like V2Ray's behaviour seed (HMAC-SHA256("VMESSBSKDF", uuid)
   * chained over the users). Go's math/rand stream is not reproduced: the values are ours.
   */
  constructor(userIds: readonly Uint8Array[]) {
    const h = createHash("sha256");
    if (userIds.length === 0) h.update(crypto.getRandomValues(new Uint8Array(32)));
    for (const id of userIds) h.update(hmacSha256(utf8("VMESSBSKDF"), id));
    const d = h.digest();
    this.base = ((d[0] << 8) | d[1]) % 3266;
    this.randMax = 1 + (d[2] % 64);
  }

  /** The smallest and largest drainSize() can return. */
  range(): [number, number] {
    return [this.base + 54, this.base + 54 + this.randMax - 1];
  }

  /** Bytes to consume in total before closing a failed connection. */
  drainSize(): number {
    return this.base + 16 + 38 + randomInt(this.randMax);
  }
}
