/** The client's request envelope (spec §1.3–1.4, §2.3): AEAD for alterId 0, legacy otherwise. */
import { aeadSeal, aesCfb, hmacMd5, md5 } from "../crypto/mod.ts";
import { concatBytes, randomBytes, randomInt } from "../core/bytes.ts";
import type { HeaderMode } from "./body_keys.ts";
import { kdf, kdf16 } from "./kdf.ts";
import { sealAuthId } from "./auth_id.ts";
import { encodeRequestHeader, type RequestHeader } from "./request_header.ts";
import { alterIds, cmdKey, parseUuid, uuidBytes } from "./uuid.ts";

/** u64be of a timestamp. */
export function timestampBytes(ts: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(ts));
  return b;
}

/** Seals a header plaintext in the AEAD envelope: AuthID ‖ EncLen ‖ ConnNonce ‖ EncHeader. */
export function sealAeadRequest(
  key: Uint8Array,
  plain: Uint8Array,
  nowSec: number,
  fixed: { rand?: Uint8Array; connNonce?: Uint8Array } = {},
): Uint8Array {
  const authId = sealAuthId(kdf16(key, "AES Auth ID Encryption"), nowSec, fixed.rand);
  const nonce = fixed.connNonce ?? randomBytes(8);
  const lenKey = kdf16(key, "VMess Header AEAD Key_Length", authId, nonce);
  const lenNonce = kdf(key, "VMess Header AEAD Nonce_Length", authId, nonce).slice(0, 12);
  const hdrKey = kdf16(key, "VMess Header AEAD Key", authId, nonce);
  const hdrNonce = kdf(key, "VMess Header AEAD Nonce", authId, nonce).slice(0, 12);
  const len = new Uint8Array([plain.length >> 8, plain.length & 0xff]);
  return concatBytes(
    authId,
    aeadSeal("aes-128-gcm", lenKey, lenNonce, len, authId),
    nonce,
    aeadSeal("aes-128-gcm", hdrKey, hdrNonce, plain, authId),
  );
}

/** Seals a header plaintext in the legacy envelope with the id `id` at time `ts`. */
export function sealLegacyRequest(
  id: Uint8Array,
  key: Uint8Array,
  plain: Uint8Array,
  ts: number,
): Uint8Array {
  const t = timestampBytes(ts);
  const iv = md5(t, t, t, t);
  return concatBytes(hmacMd5(id, t), aesCfb(key, iv, plain, false));
}

/** A user as a client sees it: keys precomputed once per outbound user. */
export class ClientAccount {
  readonly #id: Uint8Array;
  readonly #cmdKey: Uint8Array;
  readonly #alters: Uint8Array[];
  static readonly #cache = new Map<string, ClientAccount>();

  private constructor(id: Uint8Array, alterId: number) {
    this.#id = id;
    this.#cmdKey = cmdKey(id);
    this.#alters = alterIds(id, alterId);
  }

  /** The account for `id` (canonical UUID text) and `alterId`, cached. */
  static of(id: string, alterId: number): ClientAccount {
    const k = `${id}/${alterId}`;
    let a = ClientAccount.#cache.get(k);
    if (!a) {
      const u = parseUuid(id);
      if (!u) throw new TypeError(`not a UUID: ${id}`);
      a = new ClientAccount(uuidBytes(u), alterId);
      ClientAccount.#cache.set(k, a);
    }
    return a;
  }

  /** AEAD when alterId is 0, as V2Ray 4.34's client decides. */
  get mode(): HeaderMode {
    return this.#alters.length === 0 ? "aead" : "legacy";
  }

  /** The request header bytes: legacy ones use a random alter id and ±30 s jitter like 4.34. */
  encodeRequest(header: RequestHeader, nowSec: number): Uint8Array {
    const plain = encodeRequestHeader(header);
    if (this.mode === "aead") return sealAeadRequest(this.#cmdKey, plain, nowSec);
    const id = this.#alters[randomInt(this.#alters.length)];
    return sealLegacyRequest(id, this.#cmdKey, plain, nowSec + randomInt(60) - 30);
  }
}
