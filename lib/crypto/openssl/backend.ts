/**
 * The `openssl` backend: OpenSSL's libcrypto through Deno FFI. FFI is memory-unsafe, so every
 * function here checks lengths and offsets (checks.ts) before a pointer crosses, sizes its own
 * output buffers, and frees each native context exactly once: on dispose(), or, for an object
 * that was dropped without it, from a FinalizationRegistry (a backstop, not the plan).
 */
import { CryptoError } from "../errors.ts";
import {
  aeadKeyLength,
  checkInput,
  checkLength,
  checkOpen,
  checkOverlap,
  checkRoom,
  checkSeal,
  MAX_INPUT,
} from "../checks.ts";
import {
  type Aead,
  type AeadAlgorithm,
  type CipherStream,
  type CryptoBackend,
  type HashAlgorithm,
  type HashState,
  TAG_LENGTH,
} from "../types.ts";
import { type Libcrypto, type OpenedLibrary, openLibcrypto, versionText } from "./library.ts";

// EVP_CIPHER_CTX_ctrl commands (include/openssl/evp.h).
const CTRL_AEAD_GET_TAG = 0x10;
const CTRL_AEAD_SET_TAG = 0x11;

// Bytes we give each low-level digest state: MD5_CTX is 92, SHA_CTX 96, SHA256_CTX 112 bytes on
// every ABI of 1.1.1 and 3.x (public structs whose size is part of the ABI), 8-byte aligned here.
const STATE_BYTES = 128;

// States are cut from shared slabs: a new ArrayBuffer per state costs more than the SHA-256 run
// it serves (the KDF copies a dozen states per connection). A slab lives while any state in it
// does, so the KDF's long-lived states pin at most a few slabs.
const SLAB_STATES = 128;
let slab = new Uint8Array(0);
let slabUsed = 0;

function newState(): Uint8Array {
  if (slabUsed === slab.length) {
    slab = new Uint8Array(STATE_BYTES * SLAB_STATES);
    slabUsed = 0;
  }
  const state = slab.subarray(slabUsed, slabUsed + STATE_BYTES);
  slabUsed += STATE_BYTES;
  return state;
}

const DIGEST_LENGTH: Readonly<Record<HashAlgorithm, number>> = { md5: 16, sha1: 20, sha256: 32 };

type Pointer = Deno.PointerObject;

// Passed where a pointer must not be null although no byte of it is read (length 0).
const NOT_NULL = new Uint8Array(1);

/** The low-level digest functions of one algorithm, over a caller-owned state struct. */
interface DigestFunctions {
  init(state: Uint8Array): number;
  update(state: Uint8Array, data: Uint8Array, n: number): number;
  final(out: Uint8Array, state: Uint8Array): number;
}

/** What the keyed objects share: the symbols, reusable scratch buffers, the registry. */
class Native {
  readonly s: Libcrypto["symbols"];
  readonly outl = new Int32Array(1);
  readonly tag = new Uint8Array(TAG_LENGTH);
  readonly finalOut = new Uint8Array(64);
  readonly hashScratch = new Uint8Array(STATE_BYTES);
  readonly digests: Readonly<Record<HashAlgorithm, DigestFunctions>>;
  readonly ciphers: Readonly<Record<AeadAlgorithm | "ecb" | "cfb", Pointer>>;
  readonly hmacMd: Readonly<Record<"md5" | "sha256", Pointer>>;
  readonly shake: Pointer;
  // Contexts of objects dropped without dispose(): freed when the collector finds them.
  readonly registry: FinalizationRegistry<Pointer>;

  constructor(lib: Libcrypto) {
    const s = this.s = lib.symbols;
    this.registry = new FinalizationRegistry((ctx) => s.EVP_CIPHER_CTX_free(ctx));
    // Deno's FFI takes a number for a size_t parameter (its typings say bigint only); a BigInt
    // per call would cost more than the KDF's short updates themselves.
    const size = (f: (st: Uint8Array, d: Uint8Array, n: bigint) => number) =>
      f as unknown as DigestFunctions["update"];
    this.digests = {
      md5: { init: s.MD5_Init, update: size(s.MD5_Update), final: s.MD5_Final },
      sha1: { init: s.SHA1_Init, update: size(s.SHA1_Update), final: s.SHA1_Final },
      sha256: { init: s.SHA256_Init, update: size(s.SHA256_Update), final: s.SHA256_Final },
    };
    this.ciphers = {
      "aes-128-gcm": cipher(s, "AES-128-GCM", s.EVP_aes_128_gcm),
      "chacha20-poly1305": cipher(s, "ChaCha20-Poly1305", s.EVP_chacha20_poly1305),
      ecb: cipher(s, "AES-128-ECB", s.EVP_aes_128_ecb),
      cfb: cipher(s, "AES-128-CFB", s.EVP_aes_128_cfb128),
    };
    this.hmacMd = {
      md5: nonNull(s.EVP_md5(), "EVP_md5"),
      sha256: nonNull(s.EVP_sha256(), "EVP_sha256"),
    };
    this.shake = nonNull(s.EVP_shake128(), "EVP_shake128");
  }

  /** Throws CryptoError "library-failure" unless `r` is 1 (OpenSSL's success). */
  ok(r: number, what: string): void {
    if (r === 1) return;
    this.s.ERR_clear_error();
    throw new CryptoError("library-failure", `libcrypto ${what} failed`);
  }

  /** A new cipher context set up for `cipher` and `key` (and `iv` if given); the caller owns it. */
  newContext(cipher: Pointer, key: Uint8Array, iv: Uint8Array | null, enc: number): Pointer {
    const ctx = this.s.EVP_CIPHER_CTX_new();
    if (ctx === null) throw new CryptoError("library-failure", "EVP_CIPHER_CTX_new: out of memory");
    if (this.s.EVP_CipherInit_ex(ctx, cipher, null, key, iv, enc) !== 1) {
      this.s.EVP_CIPHER_CTX_free(ctx);
      this.ok(0, "EVP_CipherInit_ex");
    }
    return ctx;
  }

  /** Seals into `out` at `offset` under the key already in `ctx`. */
  seal(
    ctx: Pointer,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
    aad: Uint8Array | undefined,
  ): void {
    checkSeal(nonce, plaintext, out, offset, aad);
    const n = plaintext.length;
    checkOverlap(plaintext, out, offset, n);
    const s = this.s, outl = this.outl;
    this.ok(s.EVP_CipherInit_ex(ctx, null, null, null, nonce, 1), "EVP_CipherInit_ex");
    if (aad && aad.length > 0) this.ok(s.EVP_CipherUpdate(ctx, null, outl, aad, aad.length), "AAD");
    if (n > 0) {
      this.ok(
        s.EVP_CipherUpdate(ctx, offset === 0 ? out : out.subarray(offset), outl, plaintext, n),
        "EVP_CipherUpdate",
      );
      if (outl[0] !== n) throw new CryptoError("library-failure", "AEAD wrote a short output");
    }
    this.ok(s.EVP_CipherFinal_ex(ctx, this.finalOut, outl), "EVP_CipherFinal_ex");
    this.ok(s.EVP_CIPHER_CTX_ctrl(ctx, CTRL_AEAD_GET_TAG, TAG_LENGTH, this.tag), "get tag");
    out.set(this.tag, offset + n);
  }

  /** Opens into `out` at `offset`; false (and those bytes zeroed) when the tag fails. */
  open(
    ctx: Pointer,
    nonce: Uint8Array,
    sealed: Uint8Array,
    out: Uint8Array,
    offset: number,
    aad: Uint8Array | undefined,
  ): boolean {
    if (sealed.length < TAG_LENGTH) return false;
    checkOpen(nonce, sealed, out, offset, aad);
    const n = sealed.length - TAG_LENGTH;
    checkOverlap(sealed, out, offset, n);
    const s = this.s, outl = this.outl, tag = this.tag;
    for (let i = 0; i < TAG_LENGTH; i++) tag[i] = sealed[n + i];
    this.ok(s.EVP_CipherInit_ex(ctx, null, null, null, nonce, 0), "EVP_CipherInit_ex");
    this.ok(s.EVP_CIPHER_CTX_ctrl(ctx, CTRL_AEAD_SET_TAG, TAG_LENGTH, tag), "set tag");
    if (aad && aad.length > 0) this.ok(s.EVP_CipherUpdate(ctx, null, outl, aad, aad.length), "AAD");
    if (n > 0) {
      this.ok(
        s.EVP_CipherUpdate(ctx, offset === 0 ? out : out.subarray(offset), outl, sealed, n),
        "EVP_CipherUpdate",
      );
      if (outl[0] !== n) throw new CryptoError("library-failure", "AEAD wrote a short output");
    }
    if (s.EVP_CipherFinal_ex(ctx, this.finalOut, outl) === 1) return true;
    s.ERR_clear_error();
    // Never hand out plaintext that did not verify.
    out.fill(0, offset, offset + n);
    return false;
  }
}

function nonNull(p: Deno.PointerValue, what: string): Pointer {
  if (p === null) throw new Error(`libcrypto returned no ${what}`);
  return p;
}

// 3.0+ fetches a cipher once (EVP_CIPHER_fetch); 1.1.1 only has the legacy getters.
function cipher(s: Libcrypto["symbols"], name: string, legacy: () => Deno.PointerValue): Pointer {
  const fetched = s.EVP_CIPHER_fetch?.(null, cString(name), null) ?? null;
  return nonNull(fetched ?? legacy(), name);
}

function cString(text: string): Uint8Array {
  return new TextEncoder().encode(`${text}\0`);
}

/** An AEAD owning one EVP_CIPHER_CTX with its key schedule, reused for every seal and open. */
class OpensslAead implements Aead {
  readonly algorithm: AeadAlgorithm;
  readonly #native: Native;
  #ctx: Pointer | null;

  constructor(native: Native, algorithm: AeadAlgorithm, key: Uint8Array) {
    checkLength(key, aeadKeyLength(algorithm), `${algorithm} key`);
    this.algorithm = algorithm;
    this.#native = native;
    this.#ctx = native.newContext(native.ciphers[algorithm], key, null, 1);
    native.registry.register(this, this.#ctx, this);
  }

  #live(): Pointer {
    if (this.#ctx === null) {
      throw new CryptoError("disposed", `${this.algorithm} used after dispose`);
    }
    return this.#ctx;
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
    checkInput(plaintext, "plaintext");
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    this.#native.seal(this.#live(), nonce, plaintext, out, 0, aad);
    return out;
  }

  sealInto(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
    aad?: Uint8Array,
  ): void {
    this.#native.seal(this.#live(), nonce, plaintext, out, offset, aad);
  }

  open(nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | null {
    checkInput(sealed, "sealed input");
    if (sealed.length < TAG_LENGTH) return null;
    const out = new Uint8Array(sealed.length - TAG_LENGTH);
    return this.#native.open(this.#live(), nonce, sealed, out, 0, aad) ? out : null;
  }

  openInto(
    nonce: Uint8Array,
    sealed: Uint8Array,
    out: Uint8Array,
    offset: number,
    aad?: Uint8Array,
  ): boolean {
    return this.#native.open(this.#live(), nonce, sealed, out, offset, aad);
  }

  dispose(): void {
    const ctx = this.#ctx;
    if (ctx === null) return;
    this.#ctx = null;
    this.#native.registry.unregister(this);
    this.#native.s.EVP_CIPHER_CTX_free(ctx);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** A digest whose state is a JS-owned struct: copy() is a memcpy, nothing native to free. */
class OpensslHash implements HashState {
  readonly algorithm: HashAlgorithm;
  readonly #native: Native;
  readonly #fns: DigestFunctions;
  #state: Uint8Array | null;

  constructor(native: Native, algorithm: HashAlgorithm, state?: Uint8Array) {
    this.algorithm = algorithm;
    this.#native = native;
    this.#fns = native.digests[algorithm];
    if (state) {
      this.#state = state;
    } else {
      this.#state = newState();
      native.ok(this.#fns.init(this.#state), `${algorithm} init`);
    }
  }

  #live(): Uint8Array {
    if (this.#state === null) throw new CryptoError("disposed", "hash state used after digest()");
    return this.#state;
  }

  update(data: Uint8Array): HashState {
    const state = this.#live();
    checkInput(data, "hash input");
    if (data.length > 0) this.#native.ok(this.#fns.update(state, data, data.length), "update");
    return this;
  }

  copy(): HashState {
    const state = newState();
    state.set(this.#live());
    return new OpensslHash(this.#native, this.algorithm, state);
  }

  digest(): Uint8Array {
    const state = this.#live();
    const out = new Uint8Array(DIGEST_LENGTH[this.algorithm]);
    this.#native.ok(this.#fns.final(out, state), "final");
    this.#state = null;
    return out;
  }

  digestWith(tail: Uint8Array, out?: Uint8Array, offset = 0): Uint8Array {
    const state = this.#live();
    checkInput(tail, "hash input");
    const size = DIGEST_LENGTH[this.algorithm];
    const dst = out ?? new Uint8Array(size);
    checkRoom(dst, offset, size);
    const scratch = this.#native.hashScratch;
    scratch.set(state);
    const fns = this.#fns;
    if (tail.length > 0) this.#native.ok(fns.update(scratch, tail, tail.length), "update");
    this.#native.ok(fns.final(offset === 0 ? dst : dst.subarray(offset), scratch), "final");
    return dst;
  }
}

/** AES-128-CFB128 on its own context: OpenSSL keeps the partial-block position across calls. */
class OpensslCfb implements CipherStream {
  readonly #native: Native;
  #ctx: Pointer | null;

  constructor(native: Native, key: Uint8Array, iv: Uint8Array, decrypt: boolean) {
    checkLength(key, 16, "AES-128-CFB key");
    checkLength(iv, 16, "AES-128-CFB IV");
    this.#native = native;
    this.#ctx = native.newContext(native.ciphers.cfb, key, iv, decrypt ? 0 : 1);
    native.registry.register(this, this.#ctx, this);
  }

  update(data: Uint8Array): Uint8Array {
    const ctx = this.#ctx;
    if (ctx === null) throw new CryptoError("disposed", "AES-128-CFB used after dispose");
    checkInput(data, "CFB input");
    const out = new Uint8Array(data.length);
    if (data.length === 0) return out;
    const n = this.#native;
    n.ok(n.s.EVP_CipherUpdate(ctx, out, n.outl, data, data.length), "EVP_CipherUpdate");
    if (n.outl[0] !== data.length) throw new CryptoError("library-failure", "CFB short output");
    return out;
  }

  dispose(): void {
    const ctx = this.#ctx;
    if (ctx === null) return;
    this.#ctx = null;
    this.#native.registry.unregister(this);
    this.#native.s.EVP_CIPHER_CTX_free(ctx);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The backend object: keyed objects own their contexts; one-shots use the scratch contexts. */
class OpensslBackend implements CryptoBackend {
  readonly name = "openssl";
  readonly description: string;
  readonly #n: Native;
  // Scratch contexts for the one-shot calls (headers, AuthIDs), re-keyed per call and kept for
  // the life of the process: one per cipher, never freed, so nothing per call can leak.
  readonly #oneShot: Readonly<Record<AeadAlgorithm | "ecb", Pointer>>;
  readonly #mdCtx: Pointer;

  constructor(opened: OpenedLibrary) {
    const n = this.#n = new Native(opened.lib);
    this.description = `${versionText(opened.lib)}, ${opened.path}`;
    const zeros = new Uint8Array(32);
    this.#oneShot = {
      "aes-128-gcm": n.newContext(n.ciphers["aes-128-gcm"], zeros.subarray(0, 16), null, 1),
      "chacha20-poly1305": n.newContext(n.ciphers["chacha20-poly1305"], zeros, null, 1),
      ecb: n.newContext(n.ciphers.ecb, zeros.subarray(0, 16), null, 1),
    };
    this.#mdCtx = nonNull(n.s.EVP_MD_CTX_new(), "EVP_MD_CTX");
  }

  createAead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
    return new OpensslAead(this.#n, algorithm, key);
  }

  #rekey(algorithm: AeadAlgorithm, key: Uint8Array): Pointer {
    checkLength(key, aeadKeyLength(algorithm), `${algorithm} key`);
    const ctx = this.#oneShot[algorithm];
    this.#n.ok(this.#n.s.EVP_CipherInit_ex(ctx, null, null, key, null, -1), "EVP_CipherInit_ex");
    return ctx;
  }

  aeadSeal(
    algorithm: AeadAlgorithm,
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Uint8Array {
    checkInput(plaintext, "plaintext");
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    this.#n.seal(this.#rekey(algorithm, key), nonce, plaintext, out, 0, aad);
    return out;
  }

  aeadOpen(
    algorithm: AeadAlgorithm,
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    aad?: Uint8Array,
  ): Uint8Array | null {
    checkInput(sealed, "sealed input");
    if (sealed.length < TAG_LENGTH) return null;
    const out = new Uint8Array(sealed.length - TAG_LENGTH);
    return this.#n.open(this.#rekey(algorithm, key), nonce, sealed, out, 0, aad) ? out : null;
  }

  createHash(algorithm: HashAlgorithm): HashState {
    if (!(algorithm in DIGEST_LENGTH)) throw new RangeError(`unknown hash ${algorithm}`);
    return new OpensslHash(this.#n, algorithm);
  }

  digest(algorithm: HashAlgorithm, parts: readonly Uint8Array[]): Uint8Array {
    if (!(algorithm in DIGEST_LENGTH)) throw new RangeError(`unknown hash ${algorithm}`);
    for (const p of parts) checkInput(p, "hash input");
    const n = this.#n, fns = n.digests[algorithm], state = n.hashScratch;
    n.ok(fns.init(state), "init");
    for (const p of parts) if (p.length > 0) n.ok(fns.update(state, p, p.length), "update");
    const out = new Uint8Array(DIGEST_LENGTH[algorithm]);
    n.ok(fns.final(out, state), "final");
    return out;
  }

  hmac(algorithm: "md5" | "sha256", key: Uint8Array, data: Uint8Array): Uint8Array {
    checkInput(key, "HMAC key");
    checkInput(data, "HMAC input");
    const md = this.#n.hmacMd[algorithm];
    if (!md) throw new RangeError(`unknown HMAC hash ${algorithm}`);
    const out = new Uint8Array(DIGEST_LENGTH[algorithm]);
    // An empty array crosses as a null pointer, which OpenSSL 3 refuses for the key even at
    // length 0: give it a real (unread) byte instead.
    const k = key.length > 0 ? key : NOT_NULL, d = data.length > 0 ? data : NOT_NULL;
    const r = this.#n.s.HMAC(md, k, key.length, d, BigInt(data.length), out, null);
    if (r === null) this.#n.ok(0, "HMAC");
    return out;
  }

  aesBlock(key: Uint8Array, block: Uint8Array, decrypt: boolean): Uint8Array {
    checkLength(key, 16, "AES-128 key");
    checkLength(block, 16, "AES block");
    const n = this.#n, s = n.s, ctx = this.#oneShot.ecb;
    n.ok(s.EVP_CipherInit_ex(ctx, null, null, key, null, decrypt ? 0 : 1), "EVP_CipherInit_ex");
    n.ok(s.EVP_CIPHER_CTX_set_padding(ctx, 0), "set_padding");
    const out = new Uint8Array(16);
    n.ok(s.EVP_CipherUpdate(ctx, out, n.outl, block, 16), "EVP_CipherUpdate");
    if (n.outl[0] !== 16) throw new CryptoError("library-failure", "AES block short output");
    return out;
  }

  createAesCfb(key: Uint8Array, iv: Uint8Array, decrypt: boolean): CipherStream {
    return new OpensslCfb(this.#n, key, iv, decrypt);
  }

  // OpenSSL before 3.3 cannot squeeze an XOF again after EVP_DigestFinalXOF (EVP_DigestSqueeze
  // is 3.3+), so every call absorbs the seed anew and returns the first `length` bytes.
  shake128(seed: Uint8Array, length: number): Uint8Array {
    checkInput(seed, "SHAKE128 seed");
    if (!Number.isInteger(length) || length < 0 || length > MAX_INPUT) {
      throw new RangeError(`SHAKE128 output length ${length} out of range`);
    }
    const n = this.#n, s = n.s, ctx = this.#mdCtx;
    const out = new Uint8Array(length);
    n.ok(s.EVP_DigestInit_ex(ctx, n.shake, null), "EVP_DigestInit_ex");
    if (seed.length > 0) {
      n.ok(s.EVP_DigestUpdate(ctx, seed, BigInt(seed.length)), "EVP_DigestUpdate");
    }
    if (length > 0) n.ok(s.EVP_DigestFinalXOF(ctx, out, BigInt(length)), "EVP_DigestFinalXOF");
    return out;
  }
}

/**
 * Opens libcrypto (`path`, else the usual names) and returns the backend; throws an Error saying
 * why not. The caller checks the FFI permission first.
 */
export function loadOpensslBackend(path?: string): CryptoBackend {
  const opened = openLibcrypto(path);
  try {
    return new OpensslBackend(opened);
  } catch (e) {
    opened.lib.close();
    throw e;
  }
}
