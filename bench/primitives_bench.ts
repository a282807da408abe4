/**
 * Micro-benchmarks of the primitives and the request header: `deno bench -A bench/primitives_bench.ts`.
 * AES-GCM is measured both ways the platform offers it (node:crypto, sync; WebCrypto, one call
 * and a batch of four in flight), which is what decided the chunk path (README, "The data path").
 */
import { createCipheriv } from "node:crypto";
import { randomBytes } from "../lib/core/bytes.ts";
import {
  aesEncryptBlock,
  createAead,
  fnv1a32,
  hmacSha256,
  md5,
  sha256,
  Shake128Stream,
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

Deno.bench("md5 64 B", { group: "hash", warmup: WARMUP }, () => void md5(SMALL));
Deno.bench("sha256 64 B", { group: "hash", warmup: WARMUP }, () => void sha256(SMALL));
Deno.bench(
  "hmac-sha256 64 B",
  { group: "hash", warmup: WARMUP },
  () => void hmacSha256(KEY16, SMALL),
);
Deno.bench("fnv1a32 16 KiB", { group: "hash", warmup: WARMUP }, () => void fnv1a32(CHUNK));
Deno.bench("VMess KDF, 2 labels", { group: "hash", warmup: WARMUP }, () => {
  kdf16(KEY16, "VMess Header AEAD Key_Length", SMALL.subarray(0, 16));
});
Deno.bench("SHAKE128 stream, 1,000 u16 draws", { group: "hash", warmup: WARMUP }, () => {
  const s = new Shake128Stream(KEY16);
  for (let i = 0; i < 1000; i++) s.nextUint16();
});
Deno.bench("AES-128 one block (AuthID)", { group: "hash", warmup: WARMUP }, () => {
  aesEncryptBlock(KEY16, KEY16);
});

const gcm = createAead("aes-128-gcm", KEY16), chacha = createAead("chacha20-poly1305", KEY32);
Deno.bench("node:crypto AES-128-GCM seal 16 KiB", { group: "aead 16 KiB", warmup: WARMUP }, () => {
  gcm.seal(NONCE, CHUNK);
});
Deno.bench("node:crypto ChaCha20-Poly1305 seal 16 KiB", {
  group: "aead 16 KiB",
  warmup: WARMUP,
}, () => void chacha.seal(NONCE, CHUNK));
Deno.bench("node:crypto createCipheriv alone (per-chunk fixed cost)", {
  group: "aead 16 KiB",
  warmup: WARMUP,
}, () => void createCipheriv("chacha20-poly1305", KEY32, NONCE, { authTagLength: 16 }));
// WebCrypto's typings want ArrayBuffer-backed views; a copy gives one.
const W_KEY = new Uint8Array(KEY16),
  W_NONCE = new Uint8Array(NONCE),
  W_CHUNK = new Uint8Array(CHUNK);
const webKey = await crypto.subtle.importKey("raw", W_KEY, "AES-GCM", false, ["encrypt"]);
Deno.bench("WebCrypto AES-128-GCM seal 16 KiB, awaited", {
  group: "aead 16 KiB",
  warmup: 200,
}, async () => {
  await crypto.subtle.encrypt({ name: "AES-GCM", iv: W_NONCE }, webKey, W_CHUNK);
});
Deno.bench("WebCrypto AES-128-GCM seal 4 × 16 KiB in flight (per batch)", {
  group: "aead 16 KiB",
  warmup: 200,
}, async () => {
  await Promise.all(
    [0, 1, 2, 3].map(() =>
      crypto.subtle.encrypt({ name: "AES-GCM", iv: W_NONCE }, webKey, W_CHUNK)
    ),
  );
});

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
Deno.bench("AEAD request header seal", { group: "header", warmup: 500 }, () => {
  account.encodeRequest(header(), now());
});
const BATCH = 2000;
let sealed: Uint8Array[] = [], server = new VmessServer(users), next = BATCH;
Deno.bench("AEAD request header open (1 user)", { group: "header", warmup: 500 }, () => {
  if (next === BATCH) {
    sealed = Array.from({ length: BATCH }, () => account.encodeRequest(header(), now()));
    server = new VmessServer(users);
    next = 0;
  }
  const step = server.headerReader(now()).push(sealed[next++]);
  if (step.kind !== "done") throw new Error(`header did not open: ${step.kind}`);
});

// Why AES-GCM is slow here: the same key schedule through node:crypto's modes, 64 KiB per update
// on a running cipher. ECB shows the AES rounds are hardware-fast; GCM's CTR and GHASH are not.
const BLOCK64K = randomBytes(65536), IV16 = randomBytes(16);
const ecb = createCipheriv("aes-128-ecb", KEY16, null);
const ctr = createCipheriv("aes-128-ctr", KEY16, IV16);
const gcmStream = createCipheriv("aes-128-gcm", KEY16, NONCE);
Deno.bench(
  "node:crypto AES-128-ECB update 64 KiB",
  { group: "aes modes 64 KiB", warmup: 200 },
  () => {
    ecb.update(BLOCK64K);
  },
);
Deno.bench(
  "node:crypto AES-128-CTR update 64 KiB",
  { group: "aes modes 64 KiB", warmup: 200 },
  () => {
    ctr.update(BLOCK64K);
  },
);
Deno.bench(
  "node:crypto AES-128-GCM update 64 KiB",
  { group: "aes modes 64 KiB", warmup: 200 },
  () => {
    gcmStream.update(BLOCK64K);
  },
);
