/**
 * How long a changed inbound is without a listener at a reload, bounded above by the whole
 * reload: `deno run -A bench/reload_gap.ts [--runs 200]`. An inbound on a fixed port switches
 * between socks and http (so the old listener closes before the new one binds the same port);
 * prints the median, 95th percentile and maximum of Instance.reload()'s duration, in ms.
 */
import { parseArgs } from "node:util";
import { Instance } from "../lib/app/instance.ts";
import { loadConfigObject } from "../lib/config/mod.ts";
import { silentLogger } from "../lib/log/mod.ts";
import { freePort } from "./lib/procs.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "200" } } });
const runs = Number(values.runs);
const port = freePort();
const config = (protocol: string) =>
  loadConfigObject({
    inbounds: [{ tag: "in", listen: "127.0.0.1", port, protocol }],
    outbounds: [{ protocol: "freedom" }],
  }).config;
const instance = new Instance(config("socks"), silentLogger);
await instance.start();
const ms: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await instance.reload(config(i % 2 === 0 ? "http" : "socks"));
    ms.push(performance.now() - t);
  }
} finally {
  await instance.stop(0);
}
ms.sort((a, b) => a - b);
const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(2);
console.log(
  `reload of an inbound changed on its port, ${runs} runs: median ${at(0.5)} ms, ` +
    `p95 ${at(0.95)} ms, max ${ms[ms.length - 1].toFixed(2)} ms`,
);
