/** The shapes every crypto backend provides; lib/crypto's public surface is built on them. */

/** The backends, in the order of preference. */
export const BACKEND_NAMES = ["openssl", "node"] as const;

/** A crypto backend: OpenSSL's libcrypto through FFI, or Deno's node:crypto. */
export type BackendName = typeof BACKEND_NAMES[number];

/** The AEAD algorithms VMess uses. */
export const AEAD_ALGORITHMS = ["aes-128-gcm", "chacha20-poly1305"] as const;

/** An AEAD algorithm VMess uses. */
export type AeadAlgorithm = typeof AEAD_ALGORITHMS[number];

/** The digests VMess (and a WebSocket handshake) use. */
export const HASH_ALGORITHMS = ["md5", "sha1", "sha256"] as const;

/** A digest algorithm. */
export type HashAlgorithm = typeof HASH_ALGORITHMS[number];

/** Authentication tag length of every VMess AEAD. */
export const TAG_LENGTH = 16;

/** Nonce length of every VMess AEAD. */
export const NONCE_LENGTH = 12;

/**
 * A keyed AEAD with its own cipher context (a native one under `openssl`): synchronous, so the
 * codec stays pure, and owned: whoever creates it calls dispose() when done with it.
 */
export interface Aead extends Disposable {
  /** The algorithm it was created for. */
  readonly algorithm: AeadAlgorithm;
  /** Encrypts `plaintext` and appends the tag: returns ciphertext ‖ tag in a new array. */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** Writes ciphertext ‖ tag (plaintext.length + 16 bytes) into `out` at `offset`. */
  sealInto(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
    aad?: Uint8Array,
  ): void;
  /** The plaintext in a new array, or null when the tag does not verify. */
  open(nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | null;
  /**
   * Writes the plaintext (sealed.length − 16 bytes) into `out` at `offset`; false when the tag
   * does not verify, and then those bytes of `out` are zeroed.
   */
  openInto(
    nonce: Uint8Array,
    sealed: Uint8Array,
    out: Uint8Array,
    offset: number,
    aad?: Uint8Array,
  ): boolean;
  /** Frees the context; idempotent. Any later call throws CryptoError "disposed". */
  dispose(): void;
}

/** A running digest whose state can be copied and resumed (the VMess KDF reuses states). */
export interface HashState {
  /** The algorithm. */
  readonly algorithm: HashAlgorithm;
  /** Absorbs `data`; returns this state. */
  update(data: Uint8Array): HashState;
  /** An independent copy of this state. */
  copy(): HashState;
  /** The digest of everything absorbed; the state cannot be used afterwards. */
  digest(): Uint8Array;
  /**
   * The digest of everything absorbed followed by `tail`, leaving this state as it was: into
   * `out` at `offset` when given (and `out` is returned), else into a new array.
   */
  digestWith(tail: Uint8Array, out?: Uint8Array, offset?: number): Uint8Array;
}

/** A stream cipher state (AES-128-CFB) that continues across calls of any length. */
export interface CipherStream extends Disposable {
  /** Encrypts or decrypts the next bytes of the stream into a new array. */
  update(data: Uint8Array): Uint8Array;
  /** Frees the context; idempotent. Any later update throws CryptoError "disposed". */
  dispose(): void;
}

/** What one backend implements; everything is synchronous. */
export interface CryptoBackend {
  /** Which backend this is. */
  readonly name: BackendName;
  /** The library and version behind it, for `version` and the startup line. */
  readonly description: string;
  /** A keyed AEAD (16-byte key for GCM, 32 for ChaCha20-Poly1305). */
  createAead(algorithm: AeadAlgorithm, key: Uint8Array): Aead;
  /** One seal under `key`, without a context to dispose (handshake headers). */
  aeadSeal(
    algorithm: AeadAlgorithm,
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Uint8Array;
  /** One open under `key`, without a context to dispose; null when the tag does not verify. */
  aeadOpen(
    algorithm: AeadAlgorithm,
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    aad?: Uint8Array,
  ): Uint8Array | null;
  /** A fresh digest state. */
  createHash(algorithm: HashAlgorithm): HashState;
  /** The digest of the concatenation of `parts`. */
  digest(algorithm: HashAlgorithm, parts: readonly Uint8Array[]): Uint8Array;
  /** HMAC(key, data) over `algorithm`. */
  hmac(algorithm: "md5" | "sha256", key: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-128-ECB of one 16-byte block. */
  aesBlock(key: Uint8Array, block: Uint8Array, decrypt: boolean): Uint8Array;
  /** An AES-128-CFB (full-block feedback) stream. */
  createAesCfb(key: Uint8Array, iv: Uint8Array, decrypt: boolean): CipherStream;
  /** The first `length` bytes of SHAKE128(seed). */
  shake128(seed: Uint8Array, length: number): Uint8Array;
}
