/**
 * `deno task bench [-- --quick] [--pairs denoray-v2ray,...] [--securities aes-128-gcm,...]
 * [--only main,mux,ws+tls,memory]`: denoray against V2Ray 4.34 on this machine, in one run, every
 * client → server pair; then connection rate and CPU per connection with Mux.Cool against
 * without; then throughput over WebSocket inside TLS (a certificate made for the run), with the
 * first security; then memory under load: v2ray → v2ray and denoray → denoray each carry 1,000
 * concurrent 64 KiB downloads (aes-128-gcm, two rounds; --quick: 200, one round), and the RSS
 * growth per tunnel at the peak and how much of it each process gives back while idle after (read
 * once a second for 30 s) are reported. `--only ws+tls` runs only that row per pair, `--only
 * memory` only the memory under load.
 */
import { parseArgs } from "node:util";
import { freePort, type Impl, start } from "./lib/procs.ts";
import { Echo, iperfServer } from "./lib/targets.ts";
import { connectionRate, latency, memoryPerConnection, throughput } from "./lib/measure.ts";
import { formatMemoryTable, formatTable, type MemoryRow, type Row } from "./lib/report.ts";
import { returnedPercent, soak } from "./lib/soak.ts";
import { type BenchPki, clientConfig, serverConfig, TLS_NAME } from "./lib/configs.ts";
import { formatMuxTable, muxRate, type MuxRow } from "./lib/mux_rate.ts";
import { makeTestPki } from "../tests/helpers/certs.ts";

const ALL_PAIRS: [Impl, Impl][] = [
  ["v2ray", "v2ray"],
  ["denoray", "denoray"],
  ["v2ray", "denoray"],
  ["denoray", "v2ray"],
];

// `deno task bench -- --quick` passes the "--" on: drop it.
const { values } = parseArgs({
  args: Deno.args.filter((a, i) => !(i === 0 && a === "--")),
  options: {
    quick: { type: "boolean", default: false },
    pairs: { type: "string" },
    securities: { type: "string" },
    only: { type: "string", default: "main,mux,ws+tls,memory" },
  },
});
const parts = new Set(values.only!.split(","));
const quick = values.quick!;
const plan = quick
  ? {
    runs: 1,
    seconds: 1,
    pings: 200,
    rateSeconds: 1,
    idle: 200,
    securities: ["chacha20-poly1305"],
    loadTunnels: 200,
    loadRounds: 1,
    loadIdle: 30,
  }
  : {
    runs: 3,
    seconds: 3,
    pings: 2000,
    rateSeconds: 3,
    idle: 1000,
    securities: ["aes-128-gcm", "chacha20-poly1305", "none"],
    loadTunnels: 1000,
    loadRounds: 2,
    loadIdle: 30,
  };
const securities = values.securities?.split(",") ?? plan.securities;
const pairs = values.pairs
  ? values.pairs.split(",").map((p) => p.split("-") as [Impl, Impl])
  : ALL_PAIRS;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(
  client: Impl,
  server: Impl,
  security: string,
  echoPort: number,
): Promise<Row> {
  // A fresh iperf3 server per row: one left busy by an earlier row's aborted test fails the next.
  const iperfPort = freePort();
  await using _iperf = await iperfServer(iperfPort);
  const sp = freePort(), toIperf = freePort(), toEcho = freePort();
  await using srv = await start(server, serverConfig(sp), sp);
  await using _cli = await start(
    client,
    clientConfig(sp, security, [[toIperf, iperfPort], [toEcho, echoPort]]),
    toEcho,
  ); // Readiness probes go to the echo entry: iperf3 takes any connection for a test.
  const step = <T>(name: string, p: Promise<T>) =>
    p.catch((e) => {
      throw new Error(`${name}: ${(e as Error).message}`);
    });
  // Memory first, on a fresh server: after the bulk runs a GC'd runtime's RSS says little.
  const mem = await step("memory", memoryPerConnection(toEcho, srv.pid, plan.idle));
  // Every figure is the median of `runs` passes, the passes of each kind spread over the row, so
  // one burst of other work on this shared machine moves one pass of each, not a whole figure.
  const up: number[] = [], down: number[] = [], p50: number[] = [], p99: number[] = [];
  const rates: number[] = [];
  let failed = 0;
  for (let i = 0; i < plan.runs; i++) {
    up.push(await step("upload", throughput(toIperf, plan.seconds, false)));
    down.push(await step("download", throughput(toIperf, plan.seconds, true)));
    const lat = await step("latency", latency(toEcho, plan.pings));
    p50.push(lat.p50);
    p99.push(lat.p99);
    const rate = await step("connection rate", connectionRate(toEcho, plan.rateSeconds, 32));
    rates.push(rate.perSecond);
    failed += rate.failed;
  }

  return {
    pair: `${client} → ${server}`,
    security,
    uploadMbps: median(up),
    downloadMbps: median(down),
    p50Ms: median(p50),
    p99Ms: median(p99),
    connPerSec: median(rates),
    failedConns: failed,
    kibPerIdleConn: mem,
  };
}

/** Upload, download and round-trip latency over WebSocket + TLS. */
async function measureWsTls(
  client: Impl,
  server: Impl,
  security: string,
  echoPort: number,
  pki: BenchPki,
): Promise<Row> {
  const iperfPort = freePort();
  await using _iperf = await iperfServer(iperfPort);
  const sp = freePort(), toIperf = freePort(), toEcho = freePort();
  await using _srv = await start(server, serverConfig(sp, "ws+tls", pki), sp);
  await using _cli = await start(
    client,
    clientConfig(sp, security, [[toIperf, iperfPort], [toEcho, echoPort]], false, "ws+tls", pki),
    toEcho,
  );
  const up: number[] = [], down: number[] = [], p50: number[] = [], p99: number[] = [];
  for (let i = 0; i < plan.runs; i++) {
    up.push(await throughput(toIperf, plan.seconds, false));
    down.push(await throughput(toIperf, plan.seconds, true));
    const lat = await latency(toEcho, plan.pings);
    p50.push(lat.p50);
    p99.push(lat.p99);
  }
  return {
    pair: `${client} → ${server}`,
    security: `${security}, ws+tls`,
    uploadMbps: median(up),
    downloadMbps: median(down),
    p50Ms: median(p50),
    p99Ms: median(p99),
  };
}

/** Memory under load of `impl` → `impl`: a soak, read as growth per tunnel and what came back. */
async function memoryUnderLoad(impl: Impl): Promise<MemoryRow> {
  const r = await soak({
    impl,
    tunnels: plan.loadTunnels,
    rounds: plan.loadRounds,
    bytes: 65536,
    security: "aes-128-gcm",
    idleSeconds: plan.loadIdle,
  }, () => {});
  const side = (k: "client" | "server") => {
    const base = r.baselineKiB[k], peak = Math.max(...r.rounds.map((x) => x.maxKiB[k]));
    return {
      perTunnel: (peak - base) / plan.loadTunnels,
      returned: r.afterTimeline
        .map((p, i) => ({ seconds: i + 1, percent: returnedPercent(base, peak, p[k]) }))
        .filter(({ seconds }) => seconds % 10 === 0 || seconds === 5),
    };
  };
  const server = side("server"), client = side("client");
  return {
    pair: `${impl} → ${impl}`,
    tunnels: plan.loadTunnels,
    serverKiBPerTunnel: server.perTunnel,
    clientKiBPerTunnel: client.perTunnel,
    serverReturned: server.returned,
    clientReturned: client.returned,
    failed: r.rounds.reduce((n, x) => n + x.failed, 0),
  };
}

async function machine() {
  const text = (cmd: string, args: string[]) =>
    new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output()
      .then((o) => new TextDecoder().decode(o.stdout).trim()).catch(() => "unknown");
  const cpu = /model name\s*:\s*(.*)/.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ??
    "unknown";
  return {
    cores: navigator.hardwareConcurrency,
    cpu,
    deno: Deno.version.deno,
    v2ray: (await text("v2ray", ["-version"])).split("\n")[0],
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
  };
}

const started = performance.now();
const rows: Row[] = [];
await using echo = new Echo();
if (parts.has("main")) {
  for (const security of securities) {
    for (const [client, server] of pairs) {
      try {
        rows.push(await measure(client, server, security, echo.port));
      } catch (e) {
        rows.push({ pair: `${client} → ${server}`, security, error: (e as Error).message });
      }
    }
  }
}
const muxRows: (MuxRow | { pair: string; mux: boolean; error: string })[] = [];
if (parts.has("mux")) {
  for (const [client, server] of pairs) {
    for (const mux of [false, true]) {
      try {
        muxRows.push(await muxRate(client, server, mux, echo.port, plan.rateSeconds));
      } catch (e) {
        muxRows.push({ pair: `${client} → ${server}`, mux, error: (e as Error).message });
      }
    }
  }
}
if (parts.has("ws+tls")) {
  await using pki = await makeTestPki([TLS_NAME]);
  const security = securities[0];
  for (const [client, server] of pairs) {
    try {
      rows.push(await measureWsTls(client, server, security, echo.port, pki));
    } catch (e) {
      rows.push({
        pair: `${client} → ${server}`,
        security: `${security}, ws+tls`,
        error: (e as Error).message,
      });
    }
  }
}
const memoryRows: MemoryRow[] = [];
if (parts.has("memory")) {
  for (const impl of ["v2ray", "denoray"] as const) {
    try {
      memoryRows.push(await memoryUnderLoad(impl));
    } catch (e) {
      memoryRows.push({ pair: `${impl} → ${impl}`, error: (e as Error).message });
    }
  }
}
const info = await machine();
console.log(
  `machine: ${info.cores} cores, ${info.cpu}; Deno ${info.deno}; ${info.v2ray}; ${info.mode} run`,
);
if (rows.length > 0) console.log(formatTable(rows));
if (muxRows.length > 0) console.log("\nMux.Cool (aes-128-gcm):\n" + formatMuxTable(muxRows));
if (memoryRows.length > 0) {
  console.log(
    `\nMemory under load: ${plan.loadTunnels} concurrent 64 KiB downloads, aes-128-gcm, ` +
      `${plan.loadRounds} round(s); RSS growth per tunnel at the peak, share given back while idle:\n` +
      formatMemoryTable(memoryRows),
  );
}
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
await Deno.writeTextFile(
  new URL("./results.json", import.meta.url),
  JSON.stringify({ machine: info, rows, mux: muxRows, memoryUnderLoad: memoryRows }, null, 2) +
    "\n",
);
