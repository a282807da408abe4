/**
 * OpenSSL's libcrypto opened through Deno FFI: where to look for it, and the C signatures we call.
 * Only this folder touches the returned symbols; openssl/backend.ts checks every argument first.
 */

/** Where libcrypto is looked for, in order, when no path is given. */
export function libraryCandidates(os: typeof Deno.build.os = Deno.build.os): readonly string[] {
  if (os === "darwin") {
    // Never the unversioned /usr/lib/libcrypto.dylib: macOS aborts a process that loads it.
    return [
      "libcrypto.3.dylib",
      "/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib",
      "/usr/local/opt/openssl@3/lib/libcrypto.3.dylib",
      "libcrypto.1.1.dylib",
      "/opt/homebrew/opt/openssl@1.1/lib/libcrypto.1.1.dylib",
      "/usr/local/opt/openssl@1.1/lib/libcrypto.1.1.dylib",
    ];
  }
  if (os === "windows") {
    return ["libcrypto-3-x64.dll", "libcrypto-3.dll", "libcrypto-1_1-x64.dll", "libcrypto-1_1.dll"];
  }
  return ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so"];
}

/** The libcrypto functions we call (OpenSSL 1.1.1 and 3.x share these signatures). */
export const SYMBOLS = {
  OpenSSL_version_num: { parameters: [], result: "u32" },
  OpenSSL_version: { parameters: ["i32"], result: "pointer" },
  ERR_clear_error: { parameters: [], result: "void" },

  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  EVP_CIPHER_CTX_set_padding: { parameters: ["pointer", "i32"], result: "i32" },
  // (ctx, cipher, engine, key, iv, enc): a null cipher or key keeps the one already set.
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  // (ctx, out, int *outl, in, inl): a null `out` feeds AAD to an AEAD.
  EVP_CipherUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_aes_128_gcm: { parameters: [], result: "pointer" },
  EVP_aes_128_ecb: { parameters: [], result: "pointer" },
  EVP_aes_128_cfb128: { parameters: [], result: "pointer" },
  EVP_chacha20_poly1305: { parameters: [], result: "pointer" },
  // 3.0+: an explicitly fetched cipher makes each context's init cheaper than the legacy getters.
  EVP_CIPHER_fetch: {
    parameters: ["pointer", "buffer", "pointer"],
    result: "pointer",
    optional: true,
  },

  EVP_MD_CTX_new: { parameters: [], result: "pointer" },
  EVP_DigestInit_ex: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  EVP_DigestUpdate: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  EVP_DigestFinalXOF: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  EVP_shake128: { parameters: [], result: "pointer" },
  EVP_md5: { parameters: [], result: "pointer" },
  EVP_sha256: { parameters: [], result: "pointer" },
  // (md, key, key_len, data, data_len, out, unsigned *out_len)
  HMAC: {
    parameters: ["pointer", "buffer", "i32", "buffer", "usize", "buffer", "pointer"],
    result: "pointer",
  },

  // The low-level digests keep their state in a caller-owned struct: we own it as JS bytes, so a
  // state is copied with a memcpy and nothing native is allocated or freed per state.
  MD5_Init: { parameters: ["buffer"], result: "i32" },
  MD5_Update: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
  MD5_Final: { parameters: ["buffer", "buffer"], result: "i32" },
  SHA1_Init: { parameters: ["buffer"], result: "i32" },
  SHA1_Update: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
  SHA1_Final: { parameters: ["buffer", "buffer"], result: "i32" },
  SHA256_Init: { parameters: ["buffer"], result: "i32" },
  SHA256_Update: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
  SHA256_Final: { parameters: ["buffer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library. */
export type Libcrypto = Deno.DynamicLibrary<typeof SYMBOLS>;

/** An opened libcrypto and where it came from. */
export interface OpenedLibrary {
  /** The symbols. */
  readonly lib: Libcrypto;
  /** The name or path that opened. */
  readonly path: string;
}

/** Oldest release with every primitive we use (SHAKE128 and ChaCha20-Poly1305 in EVP). */
export const MIN_VERSION = 0x1010100f;

/**
 * Opens libcrypto from `path`, or from the first candidate that opens; throws an Error that lists
 * what was tried. Callers check the FFI permission first (dlopen would prompt for it).
 */
export function openLibcrypto(path?: string): OpenedLibrary {
  const tried: string[] = [];
  for (const candidate of path ? [path] : libraryCandidates()) {
    let lib: Libcrypto;
    try {
      lib = Deno.dlopen(candidate, SYMBOLS);
    } catch (e) {
      tried.push(`${candidate}: ${firstLine(e)}`);
      continue;
    }
    const version = lib.symbols.OpenSSL_version_num() >>> 0;
    if (version < MIN_VERSION) {
      lib.close();
      tried.push(`${candidate}: version 0x${version.toString(16)} is older than 1.1.1`);
      continue;
    }
    return { lib, path: candidate };
  }
  throw new Error(`libcrypto not usable (${tried.join("; ")})`);
}

/** The library's version text, e.g. "OpenSSL 3.0.19 27 Jan 2026". */
export function versionText(lib: Libcrypto): string {
  const p = lib.symbols.OpenSSL_version(0);
  return p === null ? "OpenSSL (unknown version)" : Deno.UnsafePointerView.getCString(p);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}
