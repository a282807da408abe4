/**
 * Which backend is active. At import, `DENORAY_CRYPTO` (auto, openssl or node; default auto) and
 * `DENORAY_LIBCRYPTO` (a path to libcrypto) decide: auto takes `openssl` when libcrypto loads and
 * passes its self-test, else `node`, and says why. The CLI's --crypto flag may switch later, before
 * anything is keyed. The `node` module is imported only when it is chosen.
 */
import { CryptoError } from "./errors.ts";
import { loadOpensslBackend } from "./openssl/backend.ts";
import { selfTest } from "./self_test.ts";
import { BACKEND_NAMES, type BackendName, type CryptoBackend } from "./types.ts";

/** What may be asked for: a backend, or auto. */
export const CRYPTO_CHOICES = ["auto", ...BACKEND_NAMES] as const;

/** A backend choice: a backend, or auto (openssl when it loads, else node). */
export type CryptoChoice = typeof CRYPTO_CHOICES[number];

/** The environment variable that chooses a backend. */
export const CRYPTO_ENV = "DENORAY_CRYPTO";

/** The environment variable that gives libcrypto's path. */
export const LIBCRYPTO_ENV = "DENORAY_LIBCRYPTO";

/** The active backend and how it came to be. */
export interface CryptoStatus {
  /** The active backend. */
  readonly name: BackendName;
  /** Its library and version. */
  readonly description: string;
  /** Why `openssl` is not active, when auto fell back to `node`. */
  readonly fallback?: string;
}

let active: CryptoBackend;
let status: CryptoStatus;
// A backend DENORAY_CRYPTO forced that could not load: reported by initCrypto (the CLI).
let envError: CryptoError | null = null;
let node: CryptoBackend | null = null;
const borrowed = new WeakMap<CryptoBackend, CryptoStatus>();

/** The active backend; lib/crypto's functions and classes all go through it. */
export function cryptoBackend(): CryptoBackend {
  return active;
}

/** The active backend's name, library, and why openssl is not in use if it is not. */
export function cryptoStatus(): CryptoStatus {
  return status;
}

/** One line for `version` and the startup log, e.g. "openssl (OpenSSL 3.0.19 …)". */
export function describeCrypto(s: CryptoStatus = status): string {
  return `${s.name} (${s.description})${s.fallback ? `; openssl not used: ${s.fallback}` : ""}`;
}

/** Parses a choice ("auto", "openssl", "node"); null for anything else. */
export function parseCryptoChoice(text: string): CryptoChoice | null {
  const t = text.trim().toLowerCase();
  return (CRYPTO_CHOICES as readonly string[]).includes(t) ? t as CryptoChoice : null;
}

function env(name: string): string | undefined {
  // Queried first: reading without --allow-env would prompt on a terminal.
  const state = Deno.permissions.querySync({ name: "env", variable: name }).state;
  return state === "granted" ? Deno.env.get(name) || undefined : undefined;
}

async function loadNode(): Promise<CryptoBackend> {
  node ??= (await import("./node/backend.ts")).nodeBackend;
  return node;
}

// Each library path is opened once per process: a backend holds native contexts for its life.
const openssls = new Map<string, CryptoBackend | string>();

// The openssl backend, or the reason it cannot be had.
function loadOpenssl(path?: string): CryptoBackend | string {
  // Without the permission dlopen would prompt on a terminal (and throw elsewhere).
  const ffi = Deno.permissions.querySync({ name: "ffi" }).state;
  if (ffi !== "granted") return "no --allow-ffi";
  const key = path ?? "";
  let b = openssls.get(key);
  if (b === undefined) {
    try {
      const loaded = loadOpensslBackend(path);
      selfTest(loaded);
      b = loaded;
    } catch (e) {
      b = e instanceof Error ? e.message : String(e);
    }
    openssls.set(key, b);
  }
  return b;
}

/**
 * A backend by name without making it active (tests compare the two); throws CryptoError
 * "unavailable" with the reason when it cannot load.
 */
export async function loadCryptoBackend(
  name: BackendName,
  libraryPath: string | undefined = env(LIBCRYPTO_ENV),
): Promise<CryptoBackend> {
  if (name === "node") return await loadNode();
  const openssl = loadOpenssl(libraryPath);
  if (typeof openssl === "string") throw new CryptoError("unavailable", `openssl: ${openssl}`);
  return openssl;
}

/**
 * Runs `fn` with `backend` (from loadCryptoBackend) active, then restores the active one: what
 * `fn` keys binds to `backend`. For benchmarks and tests that compare backends side by side.
 */
export function withCryptoBackend<T>(backend: CryptoBackend, fn: () => T): T {
  const saved = { active, status };
  active = backend;
  // One status object per backend: the KDF keys its cached levels on it.
  let s = borrowed.get(backend);
  if (!s) borrowed.set(backend, s = { name: backend.name, description: backend.description });
  status = s;
  try {
    return fn();
  } finally {
    ({ active, status } = saved);
  }
}

/**
 * Makes `choice` the active backend for everything keyed from now on. A forced backend that
 * cannot load throws CryptoError "unavailable" (naming `source`, e.g. "--crypto"); auto falls
 * back to `node` and records why.
 */
export async function selectCryptoBackend(
  choice: CryptoChoice,
  opts: { readonly libraryPath?: string; readonly source?: string } = {},
): Promise<CryptoStatus> {
  if (choice === "node") {
    active = await loadNode();
    status = { name: "node", description: active.description };
    return status;
  }
  const openssl = loadOpenssl(opts.libraryPath);
  if (typeof openssl !== "string") {
    active = openssl;
    status = { name: "openssl", description: openssl.description };
    return status;
  }
  if (choice === "openssl") {
    throw new CryptoError(
      "unavailable",
      `${opts.source ?? "crypto"}: the openssl backend cannot be used: ${openssl}`,
    );
  }
  active = await loadNode();
  status = { name: "node", description: active.description, fallback: openssl };
  return status;
}

/**
 * For the CLI: applies --crypto when given (it overrides DENORAY_CRYPTO), else reports a backend
 * DENORAY_CRYPTO forced that could not load. Throws CryptoError "unavailable".
 */
export async function initCrypto(flag?: string): Promise<CryptoStatus> {
  if (flag !== undefined) {
    const choice = parseCryptoChoice(flag);
    if (!choice) {
      throw new CryptoError("unavailable", `--crypto must be one of ${CRYPTO_CHOICES.join(", ")}`);
    }
    return await selectCryptoBackend(choice, {
      libraryPath: env(LIBCRYPTO_ENV),
      source: "--crypto",
    });
  }
  if (envError) throw envError;
  return status;
}

// The choice at import, so that every importer (tests, benchmarks, the CLI) has a backend.
{
  const raw = env(CRYPTO_ENV);
  const choice = raw === undefined ? "auto" : parseCryptoChoice(raw);
  const libraryPath = env(LIBCRYPTO_ENV);
  try {
    if (choice === null) {
      throw new CryptoError(
        "unavailable",
        `${CRYPTO_ENV}=${raw}: must be one of ${CRYPTO_CHOICES.join(", ")}`,
      );
    }
    await selectCryptoBackend(choice, { libraryPath, source: CRYPTO_ENV });
  } catch (e) {
    envError = e instanceof CryptoError
      ? e
      : new CryptoError("unavailable", String(e), { cause: e });
    await selectCryptoBackend("auto", { libraryPath });
  }
}
