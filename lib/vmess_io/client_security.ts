/** What our client puts in the header for a configured security (spec §7.1, with our `auto`). */
import { cryptoStatus } from "../crypto/mod.ts";
import { Option, type Security, type WireSecurity } from "../vmess/types.ts";

/** The body security and option byte a client sends. */
export interface ClientBodyChoice {
  /** Security of the body; "zero" goes on the wire as none (5) with S and M cleared. */
  readonly security: WireSecurity | "zero";
  /** Request option bits. */
  readonly options: number;
}

/**
 * Our `auto`: the faster AEAD of the crypto backend in use. With OpenSSL it is AES-128-GCM, as V2Ray
 * picks on amd64 (AES-NI and carry-less multiply make it the faster of the two, for the peer too);
 * node:crypto's AES-128-GCM is several times slower than its ChaCha20-Poly1305, so there it is
 * ChaCha20-Poly1305 (see the README for the figures).
 */
export function autoSecurity(): WireSecurity {
  return cryptoStatus().name === "openssl" ? "aes-128-gcm" : "chacha20-poly1305";
}

/**
 * The header choice for `security`: AEAD securities send S|M|P as V2Ray 4.34 does (P only ever
 * with M), none sends S|M, aes-128-cfb sends S, zero sends no option; option A only when the
 * user's config asks for it (V2Fly's AuthenticatedLength experiment), since 4.34 lacks it.
 */
export function clientBodyChoice(
  security: Security,
  authenticatedLength: boolean,
): ClientBodyChoice {
  const S = Option.ChunkStream, M = Option.ChunkMasking, P = Option.GlobalPadding;
  const A = authenticatedLength ? Option.AuthenticatedLength : 0;
  switch (security) {
    case "auto":
      return { security: autoSecurity(), options: S | M | P | A };
    case "aes-128-gcm":
    case "chacha20-poly1305":
      return { security, options: S | M | P | A };
    case "none":
      return { security: "none", options: S | M };
    case "aes-128-cfb":
      return { security: "aes-128-cfb", options: S };
    case "zero":
      return { security: "zero", options: 0 };
  }
}
