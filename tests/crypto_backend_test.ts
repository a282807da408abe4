/**
 * How the CLI chooses the crypto backend: auto (openssl when it loads, else node, saying why),
 * DENORAY_CRYPTO and --crypto forcing one, and the backend named by `version` and the startup line.
 */
import { clientBodyChoice } from "../lib/vmess_io/client_security.ts";
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { cryptoStatus, loadCryptoBackend } from "../lib/crypto/mod.ts";
import { spawnDenoray, writeTempConfig } from "./helpers/process.ts";
import { needsTest } from "./helpers/peer.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const missing = await loadCryptoBackend("openssl").then(
  () => null,
  (e) => `the openssl backend is not available (${(e as Error).message})`,
);

/** Runs main.ts with `perms`, `args` and `env` (DENORAY_* not inherited from this run). */
async function denoray(
  perms: string[],
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    stdin: "null",
    env: { NO_COLOR: "1", DENORAY_CRYPTO: "auto", DENORAY_LIBCRYPTO: "", ...env },
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

const ALL = ["-A"];
const NO_FFI = ["--allow-read", "--allow-env"];

needsTest(
  "crypto backend: libcrypto is opened once per library path, however often a backend is asked for",
  missing,
  async () => {
    const first = await loadCryptoBackend("openssl");
    assertEquals(await loadCryptoBackend("openssl") === first, true);
  },
);

needsTest(
  "crypto backend: auto picks openssl where libcrypto loads; --crypto node overrides it",
  missing,
  async () => {
    const auto = await denoray(ALL, ["version"]);
    assertEquals(auto.code, 0, auto.err);
    assertStringIncludes(auto.out, "crypto: openssl (OpenSSL ");
    const forced = await denoray(ALL, ["--crypto", "node", "version"]);
    assertStringIncludes(forced.out, "crypto: node (node:crypto");
    const env = await denoray(ALL, ["version"], { DENORAY_CRYPTO: "node" });
    assertStringIncludes(env.out, "crypto: node (node:crypto");
    const flagWins = await denoray(ALL, ["version", "--crypto", "openssl"], {
      DENORAY_CRYPTO: "node",
    });
    assertStringIncludes(flagWins.out, "crypto: openssl");
  },
);

Deno.test("crypto backend: without --allow-ffi auto falls back to node and says why", async () => {
  const r = await denoray(NO_FFI, ["version"]);
  assertEquals(r.code, 0, r.err);
  assertStringIncludes(r.out, "crypto: node (node:crypto");
  assertStringIncludes(r.out, "openssl not used: no --allow-ffi");
});

Deno.test("crypto backend: a forced backend that cannot load is an error, not a fallback", async () => {
  const env = await denoray(NO_FFI, ["version"], { DENORAY_CRYPTO: "openssl" });
  assertEquals(env.code, 1);
  assertStringIncludes(
    env.err,
    "DENORAY_CRYPTO: the openssl backend cannot be used: no --allow-ffi",
  );
  const path = await denoray(ALL, ["--crypto", "openssl", "version"], {
    DENORAY_LIBCRYPTO: "/nonexistent/libcrypto.so.3",
  });
  assertEquals(path.code, 1);
  assertStringIncludes(path.err, "--crypto: the openssl backend cannot be used");
  assertStringIncludes(path.err, "/nonexistent/libcrypto.so.3");
  const bad = await denoray(ALL, ["--crypto", "gnutls", "version"]);
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.err, "--crypto must be one of auto, openssl, node");
  const badEnv = await denoray(ALL, ["version"], { DENORAY_CRYPTO: "fast" });
  assertEquals(badEnv.code, 1);
  assertStringIncludes(badEnv.err, "DENORAY_CRYPTO=fast: must be one of auto, openssl, node");
});

Deno.test("crypto backend: the startup line names the backend in use", async () => {
  const config = await writeTempConfig({});
  try {
    // The child inherits this run's DENORAY_CRYPTO, so it runs the backend this run tests.
    await using p = spawnDenoray(["run", "-c", config]);
    await p.waitFor(/denoray started/);
    p.child.kill("SIGTERM");
    const r = await p.done();
    assertStringIncludes(r.stderr, `; crypto: ${cryptoStatus().name} (`);
  } finally {
    await Deno.remove(config);
  }
});

Deno.test("vmess auto: AES-128-GCM on the openssl backend (as V2Ray on amd64), ChaCha20-Poly1305 on node", () => {
  const want = cryptoStatus().name === "openssl" ? "aes-128-gcm" : "chacha20-poly1305";
  assertEquals(clientBodyChoice("auto", false), { security: want, options: 0x0d });
});
