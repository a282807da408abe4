/** The response header (spec §5): AEAD-sealed, or AES-128-CFB that continues into a legacy body. */
import { aeadOpen, aeadSeal, aesCfb, AesCfbStream } from "../crypto/mod.ts";
import { concatBytes } from "../core/bytes.ts";
import { ProtocolError } from "../core/errors.ts";
import { type BodyKeys, type HeaderMode, responseBodyKeys } from "./body_keys.ts";
import { kdf, kdf16 } from "./kdf.ts";
import { marshalSwitchAccount, type SwitchAccount, unmarshalSwitchAccount } from "./commands.ts";

/** What the server puts in a response header. */
export interface ResponseHeader {
  /** The request's response-auth byte. */
  readonly responseAuth: number;
  /** A SwitchAccount command, if any. */
  readonly command?: SwitchAccount;
}

function plaintext(h: ResponseHeader): Uint8Array {
  if (!h.command) return new Uint8Array([h.responseAuth, 0, 0, 0]);
  const cmd = marshalSwitchAccount(h.command);
  return concatBytes(new Uint8Array([h.responseAuth, 0, 1, cmd.length]), cmd);
}

function aeadParts(resp: BodyKeys) {
  return {
    lenKey: kdf16(resp.key, "AEAD Resp Header Len Key"),
    lenNonce: kdf(resp.iv, "AEAD Resp Header Len IV").slice(0, 12),
    bodyKey: kdf16(resp.key, "AEAD Resp Header Key"),
    bodyNonce: kdf(resp.iv, "AEAD Resp Header IV").slice(0, 12),
  };
}

/**
 * The response header bytes for a request with body keys `request`. In legacy mode with
 * `continueCfb` (an aes-128-cfb body), the CFB stream that encrypted it is returned too, for the
 * body to continue (spec §4.6); the body writer then owns it.
 */
export function encodeResponseHeader(
  mode: HeaderMode,
  request: BodyKeys,
  h: ResponseHeader,
  continueCfb = false,
): { bytes: Uint8Array; cfb?: AesCfbStream } {
  const resp = responseBodyKeys(mode, request);
  const p = plaintext(h);
  if (mode === "legacy") {
    if (!continueCfb) return { bytes: aesCfb(resp.key, resp.iv, p, false) };
    const cfb = new AesCfbStream(resp.key, resp.iv, false);
    return { bytes: cfb.update(p), cfb };
  }
  const a = aeadParts(resp);
  const len = new Uint8Array([p.length >> 8, p.length & 0xff]);
  return {
    bytes: concatBytes(
      aeadSeal("aes-128-gcm", a.lenKey, a.lenNonce, len),
      aeadSeal("aes-128-gcm", a.bodyKey, a.bodyNonce, p),
    ),
  };
}

/** The result of a decoded response header. */
export interface DecodedResponse {
  /** Bytes after the header (the body, still as received). */
  readonly rest: Uint8Array;
  /** A SwitchAccount the server sent, if any. */
  readonly command?: SwitchAccount;
}

/** Decodes a response header fed in arbitrary splits (client side). */
export class ResponseHeaderDecoder {
  readonly #mode: HeaderMode;
  readonly #resp: BodyKeys;
  readonly #auth: number;
  readonly #continueCfb: boolean;
  #buf: Uint8Array = new Uint8Array(0);
  #cfb: AesCfbStream | undefined;

  /**
   * A decoder for a request with body keys `request` and response-auth byte `responseAuth`;
   * `continueCfb` (an aes-128-cfb body) keeps a legacy header's CFB stream for the body.
   */
  constructor(mode: HeaderMode, request: BodyKeys, responseAuth: number, continueCfb = false) {
    this.#mode = mode;
    this.#resp = responseBodyKeys(mode, request);
    this.#auth = responseAuth;
    this.#continueCfb = continueCfb;
  }

  /**
   * Legacy mode with `continueCfb`: the CFB stream positioned after the header, for the body
   * reader, which then owns it.
   */
  get cfb(): AesCfbStream | undefined {
    return this.#cfb;
  }

  /**
   * Adds bytes; returns the decoded header once complete (its `rest` may be a view of `bytes`),
   * else null, keeping a copy of what it needs. Throws ProtocolError.
   */
  push(bytes: Uint8Array): DecodedResponse | null {
    // The header nearly always arrives whole in one read: parse it in place, copy only a part.
    const b = this.#buf.length === 0 ? bytes : concatBytes(this.#buf, bytes);
    const decoded = this.#mode === "aead" ? this.#aead(b) : this.#legacy(b);
    this.#buf = decoded ? new Uint8Array(0) : b === bytes ? bytes.slice() : b;
    return decoded;
  }

  #check(p: Uint8Array): SwitchAccount | undefined {
    if (p[0] !== this.#auth) throw new ProtocolError("bad-auth", "response header auth mismatch");
    return p[2] === 1 ? unmarshalSwitchAccount(p.subarray(4, 4 + p[3])) ?? undefined : undefined;
  }

  #aead(b: Uint8Array): DecodedResponse | null {
    if (b.length < 18) return null;
    const a = aeadParts(this.#resp);
    const len = aeadOpen("aes-128-gcm", a.lenKey, a.lenNonce, b.subarray(0, 18));
    if (!len) throw new ProtocolError("bad-auth", "response header length failed authentication");
    const l = (len[0] << 8) | len[1];
    if (b.length < 18 + l + 16) return null;
    const p = aeadOpen("aes-128-gcm", a.bodyKey, a.bodyNonce, b.subarray(18, 34 + l));
    if (!p || p.length < 4) {
      throw new ProtocolError("bad-auth", "response header failed authentication");
    }
    return { command: this.#check(p), rest: b.subarray(34 + l) };
  }

  #legacy(b: Uint8Array): DecodedResponse | null {
    if (b.length < 4) return null;
    // Decrypt exactly the header's bytes, so the stream continues at the body (spec §4.6).
    const { key, iv } = this.#resp;
    const probe = aesCfb(key, iv, b.subarray(0, 4), true);
    const total = 4 + (probe[2] !== 0 ? probe[3] : 0);
    if (b.length < total) return null;
    if (!this.#continueCfb) {
      return {
        command: this.#check(aesCfb(key, iv, b.subarray(0, total), true)),
        rest: b.subarray(total),
      };
    }
    const cfb = new AesCfbStream(key, iv, true);
    try {
      const command = this.#check(cfb.update(b.subarray(0, total)));
      this.#cfb = cfb;
      return { command, rest: b.subarray(total) };
    } catch (e) {
      cfb.dispose();
      throw e;
    }
  }
}
