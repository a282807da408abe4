/** Per-direction body key and IV (spec §4.1): the response direction derives from the request's. */
import { md5, sha256 } from "../crypto/mod.ts";

/** How the request header was sent; it decides how response keys are derived. */
export type HeaderMode = "aead" | "legacy";

/** A direction's 16-byte body key and IV. */
export interface BodyKeys {
  /** 16-byte key. */
  readonly key: Uint8Array;
  /** 16-byte IV. */
  readonly iv: Uint8Array;
}

/** Response-direction keys: SHA-256 prefixes for AEAD headers, MD5 for legacy ones. */
export function responseBodyKeys(mode: HeaderMode, request: BodyKeys): BodyKeys {
  if (mode === "aead") {
    return { key: sha256(request.key).slice(0, 16), iv: sha256(request.iv).slice(0, 16) };
  }
  return { key: md5(request.key), iv: md5(request.iv) };
}
