/**
 * Micro-benchmarks of the VMess body codec: `deno bench -A bench/codec_bench.ts`, each case on
 * both crypto backends ("openssl", "node"; a codec binds to the backend active when it is built,
 * so every codec here, including those renewed while the bench runs, is built under its own).
 * "seal" is BodyWriter.write of one chunk's plaintext into a reused wire buffer, as the stream
 * does; "open" is BodyReader.push + nextInto of one chunk into a reused buffer, in order (readers
 * are renewed after a run of pre-sealed chunks, amortised away).
 */
import { randomBytes } from "../lib/core/bytes.ts";
import { type CryptoBackend, loadCryptoBackend, withCryptoBackend } from "../lib/crypto/mod.ts";
import type { BodyCodecParams } from "../lib/vmess/body_plan.ts";
import { BodyReader } from "../lib/vmess/body_reader.ts";
import { BodyWriter } from "../lib/vmess/body_writer.ts";
import { Option } from "../lib/vmess/types.ts";

const { ChunkStream: S, ChunkMasking: M, GlobalPadding: P } = Option;
const KEY = randomBytes(16);
const IV = randomBytes(16);
const WARMUP = 2000;

function params(
  security: BodyCodecParams["security"],
  options: number,
  max: number,
): BodyCodecParams {
  return { security, options, key: KEY, iv: IV, packet: false, maxChunkPayload: max };
}

/** A function that opens the next of `count` pre-sealed chunks of `size` bytes each call. */
function opener(b: CryptoBackend, p: BodyCodecParams, size: number, count: number): () => void {
  const w = withCryptoBackend(b, () => new BodyWriter(p));
  const payload = randomBytes(size);
  const chunks = Array.from({ length: count }, () => w.write(payload));
  const out = new Uint8Array(size + 64);
  let reader = withCryptoBackend(b, () => new BodyReader(p));
  let i = 0;
  return () => {
    if (i === count) {
      reader.dispose();
      reader = withCryptoBackend(b, () => new BodyReader(p));
      i = 0;
    }
    reader.push(chunks[i++]);
    if (reader.nextInto(out, 0) !== size) throw new Error("chunk did not open");
  };
}

const backends: CryptoBackend[] = [await loadCryptoBackend("node")];
try {
  backends.unshift(await loadCryptoBackend("openssl"));
} catch (e) {
  console.error(`openssl rows left out: ${(e as Error).message}`);
}

// The first case of a file measured ~60% slower whatever it was (JIT, CPU clock): absorb that here.
{
  const w = new BodyWriter(params("aes-128-gcm", S | M | P, 16384));
  const payload = randomBytes(16384);
  Deno.bench("warm-up (ignore)", { group: "warm-up", warmup: WARMUP }, () => {
    w.write(payload);
  });
}

const CASES: [string, BodyCodecParams, number][] = [
  ["aes-128-gcm S|M|P", params("aes-128-gcm", S | M | P, 16384), 16384],
  ["chacha20-poly1305 S|M|P", params("chacha20-poly1305", S | M | P, 16384), 16384],
  ["aes-128-cfb S", params("aes-128-cfb", S, 16384), 16384],
  ["none S|M", params("none", S | M, 16384), 16384],
  ["aes-128-gcm S|M|P", params("aes-128-gcm", S | M | P, 1966), 1966],
  ["chacha20-poly1305 S|M|P", params("chacha20-poly1305", S | M | P, 1966), 1966],
];

for (const b of backends) {
  const backend = b.name;
  for (const [name, p, size] of CASES) {
    const payload = randomBytes(size);
    const writer = withCryptoBackend(b, () => new BodyWriter(p));
    const wire = new Uint8Array(writer.capacity(size));
    Deno.bench(
      `${backend} seal ${size} B ${name}`,
      { group: `seal ${size}`, warmup: WARMUP },
      () => {
        writer.write(payload, wire);
      },
    );
    // 256 pre-sealed chunks: a few MiB, not tens of thousands of ArrayBuffers for the GC to sweep
    // (that made every open in this file several times slower than the same loop outside it).
    const open = opener(b, p, size, 256);
    Deno.bench(
      `${backend} open ${size} B ${name}`,
      { group: `open ${size}`, warmup: WARMUP },
      () => {
        open();
      },
    );
  }

  // A 64 KiB socket read holding many of V2Ray's 1966-byte chunks, decoded in one push.
  const p = params("aes-128-gcm", S | M | P, 1966);
  const w = withCryptoBackend(b, () => new BodyWriter(p));
  const reads = Array.from({ length: 64 }, () => w.write(randomBytes(65536)));
  const out = new Uint8Array(70_000);
  let reader = withCryptoBackend(b, () => new BodyReader(p));
  let i = 0;
  Deno.bench(`${backend} open 64 KiB read of 1966 B chunks, aes-128-gcm S|M|P`, {
    group: "reads",
    warmup: WARMUP,
  }, () => {
    if (i === reads.length) {
      reader.dispose();
      reader = withCryptoBackend(b, () => new BodyReader(p));
      i = 0;
    }
    reader.push(reads[i++]);
    let n = 0;
    for (let k = reader.nextInto(out, n); k > 0; k = reader.nextInto(out, n)) n += k;
    if (n !== 65536) throw new Error(`decoded ${n}`);
  });
}
