/**
 * Native-memory leak check of the crypto backend over many connections:
 *
 *   deno run -A --unstable-net --v8-flags=--expose-gc bench/leak.ts [--connections 100000]
 *     [--security aes-128-gcm] [--step 10000] [--parallel 32] [--codec-only]
 *
 * First in-process: `connections` body codecs as one connection has them (a reader and a writer
 * with their AEAD contexts, one chunk each way, disposed as VmessBodyStream.close does), RSS
 * after a full GC every `step`; then the same without dispose(), where only the
 * FinalizationRegistry frees the contexts. Then (unless --codec-only) end to end: a denoray client
 * and server with `connections` tunnelled connections (open, 1 KiB round trip, close), both
 * processes' RSS every `step`. A leaked context (~1 KiB of native memory each, two or more per
 * connection) would show as RSS growing in step with the count.
 */
import { parseArgs } from "node:util";
import { randomBytes } from "../lib/core/bytes.ts";
import { cryptoStatus, describeCrypto } from "../lib/crypto/mod.ts";
import type { BodyCodecParams } from "../lib/vmess/body_plan.ts";
import { BodyReader } from "../lib/vmess/body_reader.ts";
import { BodyWriter } from "../lib/vmess/body_writer.ts";
import { Option } from "../lib/vmess/types.ts";
import { freePort, rssKiB, start } from "./lib/procs.ts";
import { Echo } from "./lib/targets.ts";
import { clientConfig, serverConfig } from "./lib/configs.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "100000" },
    security: { type: "string", default: "aes-128-gcm" },
    step: { type: "string", default: "10000" },
    parallel: { type: "string", default: "32" },
    "codec-only": { type: "boolean", default: false },
  },
});
const total = Number(values.connections), step = Number(values.step);
const security = values.security as "aes-128-gcm" | "chacha20-poly1305";
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.warn("no gc(): run with --v8-flags=--expose-gc for steady in-process figures");
console.log(`crypto: ${describeCrypto()}`);

const mib = (kib: number) => (kib / 1024).toFixed(1);

function codecRun(dispose: boolean): void {
  const { ChunkStream: S, ChunkMasking: M, GlobalPadding: P, AuthenticatedLength: A } = Option;
  const payload = randomBytes(1024), wire = new Uint8Array(4096), out = new Uint8Array(4096);
  const rows: string[] = [];
  for (let i = 1; i <= total; i++) {
    const key = randomBytes(16), iv = randomBytes(16);
    // Every other connection with option A: two more AEAD contexts each side.
    const p: BodyCodecParams = {
      security,
      options: S | M | P | (i % 2 ? A : 0),
      key,
      iv,
      packet: false,
      authLengthKeys: { key, iv },
    };
    const w = new BodyWriter(p), r = new BodyReader(p);
    r.push(w.write(payload, wire));
    if (r.nextInto(out, 0) !== payload.length) throw new Error("round trip failed");
    if (dispose) {
      w.dispose();
      r.dispose();
    }
    if (i % step === 0) {
      gc?.();
      rows.push(`${i}: ${mib(Deno.memoryUsage().rss / 1024)} MiB`);
    }
  }
  console.log(
    `in-process codecs, ${security}, ${dispose ? "disposed" : "not disposed (registry only)"}: ` +
      rows.join(", "),
  );
}

codecRun(true);
codecRun(false);
if (values["codec-only"]) Deno.exit(0);

/** `count` tunnelled connections through `port`, `parallel` at a time: open, round trip, close. */
async function connections(port: number, count: number, parallel: number): Promise<number> {
  let left = count, failed = 0;
  const worker = async () => {
    const msg = new Uint8Array(1024), buf = new Uint8Array(4096);
    while (left > 0) {
      left--;
      let conn: Deno.Conn | undefined;
      try {
        conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(msg);
        let got = 0;
        while (got < msg.length) {
          const n = await conn.read(buf);
          if (n === null) throw new Error("closed early");
          got += n;
        }
      } catch {
        failed++;
      } finally {
        conn?.close();
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return failed;
}

const sp = freePort(), entry = freePort();
await using echo = new Echo();
// The child processes choose their backend as this one did (DENORAY_CRYPTO is inherited).
await using server = await start("denoray", serverConfig(sp), sp);
await using client = await start(
  "denoray",
  clientConfig(sp, security, [[entry, echo.port]]),
  entry,
);
const started = performance.now();
const rows = [
  `0: server ${mib(await rssKiB(server.pid))}, client ${mib(await rssKiB(client.pid))}`,
];
let failed = 0;
for (let done = 0; done < total; done += step) {
  failed += await connections(entry, Math.min(step, total - done), Number(values.parallel));
  // Let the last closes reach both processes before reading their RSS.
  await new Promise((r) => setTimeout(r, 1000));
  rows.push(
    `${done + step}: server ${mib(await rssKiB(server.pid))}, client ${
      mib(await rssKiB(client.pid))
    }`,
  );
}
console.log(
  `tunnelled connections, ${security}, ${cryptoStatus().name}, RSS MiB (${failed} failed, ${
    ((performance.now() - started) / 1000).toFixed(0)
  } s):\n  ${rows.join("\n  ")}`,
);
