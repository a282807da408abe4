/**
 * Micro-benchmarks of the primitives and the request header: `deno bench -A bench/primitives_bench.ts`.
 * Every row runs on both backends side by side ("openssl", "node"). The node:crypto and WebCrypto
 * rows at the end show why node's AES-GCM is slow (README, "The data path").
 */
import { createCipheriv } from "node:crypto";
import { randomBytes } from "../lib/core/bytes.ts";
import {
  type CryptoBackend,
  fnv1a32,
  loadCryptoBackend,
  Shake128Stream,
  withCryptoBackend,
} from "../lib/crypto/mod.ts";
import {
  ClientAccount,
  kdf16,
  parseUuid,
  type RequestHeader,
  VmessServer,
} from "../lib/vmess/mod.ts";

const WARMUP = 2000;
const KEY16 = randomBytes(16), KEY32 = randomBytes(32), NONCE = randomBytes(12);
const SMALL = randomBytes(64), CHUNK = randomBytes(16368);
const SIZES = [16368, 1966];

const backends: CryptoBackend[] = [await loadCryptoBackend("node")];
try {
  backends.unshift(await loadCryptoBackend("openssl"));
} catch (e) {
  console.error(`openssl rows left out: ${(e as Error).message}`);
}

for (const b of backends) {
  const n = b.name;
  Deno.bench(
    `${n} md5 64 B`,
    { group: "hash", warmup: WARMUP },
    () => void b.digest("md5", [SMALL]),
  );
  Deno.bench(`${n} sha256 64 B`, { group: "hash", warmup: WARMUP }, () => {
    b.digest("sha256", [SMALL]);
  });
  const state = b.createHash("sha256").update(SMALL);
  const out = new Uint8Array(32);
  Deno.bench(`${n} sha256 resumed state + 32 B (a KDF step)`, {
    group: "hash",
    warmup: WARMUP,
  }, () => void state.digestWith(out, out));
  Deno.bench(`${n} hmac-sha256 64 B`, { group: "hash", warmup: WARMUP }, () => {
    b.hmac("sha256", KEY16, SMALL);
  });
  Deno.bench(`${n} AES-128 one block (AuthID)`, { group: "hash", warmup: WARMUP }, () => {
    b.aesBlock(KEY16, KEY16, false);
  });
  Deno.bench(`${n} SHAKE128 256 B`, { group: "hash", warmup: WARMUP }, () => {
    b.shake128(KEY16, 256);
  });
}

// Seal and open of one VMess chunk: our writer's 16,368 bytes and V2Ray's 1,966, into reused
// buffers as the body codec does.
for (const size of SIZES) {
  const plain = randomBytes(size);
  for (const b of backends) {
    for (const [alg, key] of [["aes-128-gcm", KEY16], ["chacha20-poly1305", KEY32]] as const) {
      const aead = b.createAead(alg, key);
      const wire = new Uint8Array(size + 16), back = new Uint8Array(size);
      const sealed = aead.seal(NONCE, plain);
      Deno.bench(`${b.name} ${alg} seal ${size} B`, {
        group: `seal ${size}`,
        warmup: WARMUP,
      }, () => void aead.sealInto(NONCE, plain, wire, 0));
      Deno.bench(`${b.name} ${alg} open ${size} B`, {
        group: `open ${size}`,
        warmup: WARMUP,
      }, () => {
        if (!aead.openInto(NONCE, sealed, back, 0)) throw new Error("did not open");
      });
    }
  }
}

Deno.bench(`fnv1a32 16 KiB`, { group: "vmess", warmup: WARMUP }, () => void fnv1a32(CHUNK));

// Header seal (client) and open (server). Each header is opened once (the server refuses
// replays), so a batch is sealed ahead and a fresh server takes over when it runs out.
const UUID = "b831381d-6324-4d53-ad4f-8cda48b30811";
const account = ClientAccount.of(UUID, 0);
const users = [{ id: parseUuid(UUID)!, alterId: 0, level: 0, email: "a@b" }];
const header = (): RequestHeader => ({
  bodyIv: randomBytes(16),
  bodyKey: randomBytes(16),
  responseAuth: 7,
  options: 0x0d,
  security: "chacha20-poly1305",
  command: "tcp",
  destination: { network: "tcp", address: "example.com", port: 443 },
});
const now = () => Math.floor(Date.now() / 1000);
const BATCH = 2000;

// The KDF and headers call lib/crypto's functions, so each row runs them with its backend active.
for (const b of backends) {
  const n = b.name;
  const using = <T>(fn: () => T) => withCryptoBackend(b, fn);
  Deno.bench(`${n} VMess KDF, 2 labels`, { group: "vmess", warmup: WARMUP }, () => {
    using(() => kdf16(KEY16, "VMess Header AEAD Key_Length", SMALL.subarray(0, 16)));
  });
  Deno.bench(`${n} SHAKE128 stream, 1,000 u16 draws`, { group: "vmess", warmup: WARMUP }, () => {
    const s = using(() => new Shake128Stream(KEY16));
    for (let i = 0; i < 1000; i++) s.nextUint16();
  });
  Deno.bench(`${n} AEAD request header seal`, { group: "header", warmup: 500 }, () => {
    using(() => account.encodeRequest(header(), now()));
  });
  let sealedHeaders: Uint8Array[] = [], server = new VmessServer(users), next = BATCH;
  Deno.bench(`${n} AEAD request header open (1 user)`, { group: "header", warmup: 500 }, () => {
    if (next === BATCH) {
      sealedHeaders = Array.from({ length: BATCH }, () => account.encodeRequest(header(), now()));
      server = new VmessServer(users);
      next = 0;
    }
    const step = using(() => server.headerReader(now()).push(sealedHeaders[next++]));
    if (step.kind !== "done") throw new Error(`header did not open: ${step.kind}`);
  });
}

// Why node's AES-GCM is slow: the per-chunk cipher object, and the same key schedule through
// node:crypto's modes at 64 KiB per update on a running cipher (ECB fast, GCM's CTR and GHASH
// not), and WebCrypto's per-call cost.
Deno.bench("node:crypto createCipheriv alone (per-chunk fixed cost)", {
  group: "node:crypto",
  warmup: WARMUP,
}, () => void createCipheriv("chacha20-poly1305", KEY32, NONCE, { authTagLength: 16 }));
const BLOCK64K = randomBytes(65536), IV16 = randomBytes(16);
const ecb = createCipheriv("aes-128-ecb", KEY16, null);
const ctr = createCipheriv("aes-128-ctr", KEY16, IV16);
const gcmStream = createCipheriv("aes-128-gcm", KEY16, NONCE);
Deno.bench("node:crypto AES-128-ECB update 64 KiB", { group: "node:crypto", warmup: 200 }, () => {
  ecb.update(BLOCK64K);
});
Deno.bench("node:crypto AES-128-CTR update 64 KiB", { group: "node:crypto", warmup: 200 }, () => {
  ctr.update(BLOCK64K);
});
Deno.bench("node:crypto AES-128-GCM update 64 KiB", { group: "node:crypto", warmup: 200 }, () => {
  gcmStream.update(BLOCK64K);
});
// WebCrypto's typings want ArrayBuffer-backed views; a copy gives one.
const W_KEY = new Uint8Array(KEY16), W_NONCE = new Uint8Array(NONCE);
const W_CHUNK = new Uint8Array(randomBytes(16368));
const webKey = await crypto.subtle.importKey("raw", W_KEY, "AES-GCM", false, ["encrypt"]);
Deno.bench("WebCrypto AES-128-GCM seal 16 KiB, awaited", {
  group: "node:crypto",
  warmup: 200,
}, async () => {
  await crypto.subtle.encrypt({ name: "AES-GCM", iv: W_NONCE }, webKey, W_CHUNK);
});
