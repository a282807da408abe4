/**
 * `deno task profile [-- --security chacha20-poly1305] [--seconds 5] [--download] [--top 15]
 * [--pair denoray-denoray] [--no-prof] [--workload throughput|rate] [--transport tcp|ws+tls]`:
 * one iperf3 run (or a
 * connection-rate run: open, 1 KiB round trip, close, 32 in parallel) through a tunnel, with each
 * denoray process under `--cpu-prof` (unless --no-prof). Prints the figure, each process's CPU
 * time per MB moved or per connection (user + system, which other load on the machine barely
 * changes, unlike Mbit/s), and each denoray process's hottest functions by self time. Profiles
 * stay in the printed directory.
 */
import { parseArgs } from "node:util";
import { cpuMs, freePort, type Impl, start } from "./lib/procs.ts";
import { Echo, iperfServer } from "./lib/targets.ts";
import { connectionRate, throughput } from "./lib/measure.ts";
import { type BenchTransport, clientConfig, serverConfig, TLS_NAME } from "./lib/configs.ts";
import { makeTestPki } from "../tests/helpers/certs.ts";
import { hotSpots } from "./lib/cpu_profile.ts";

// `deno task profile -- --no-prof` passes the "--" on: drop it.
const { values } = parseArgs({
  args: Deno.args.filter((a, i) => !(i === 0 && a === "--")),
  options: {
    security: { type: "string", default: "chacha20-poly1305" },
    seconds: { type: "string", default: "5" },
    download: { type: "boolean", default: false },
    top: { type: "string", default: "15" },
    pair: { type: "string", default: "denoray-denoray" },
    "no-prof": { type: "boolean", default: false },
    workload: { type: "string", default: "throughput" },
    transport: { type: "string", default: "tcp" },
  },
});
const security = values.security!;
const transport = values.transport as BenchTransport;
if (transport !== "tcp" && transport !== "ws+tls") {
  throw new Error(`--transport: tcp or ws+tls, not ${transport}`);
}
const seconds = Number(values.seconds);
const [clientImpl, serverImpl] = values.pair!.split("-") as [Impl, Impl];
const dir = await Deno.makeTempDir({ prefix: "denoray-profile-" });
const flags = (role: string) =>
  values["no-prof"] ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}/${role}`];

const iperfPort = freePort(), sp = freePort(), entry = freePort(), probe = freePort();
const rateRun = values.workload === "rate";
let figure = "";
let units = 0; // MB moved, or connections made
const cpu: Record<string, number> = {};
{
  await using _iperf = await iperfServer(iperfPort);
  await using echo = new Echo();
  // A CA and a leaf for the run (ws+tls only).
  await using pki = transport === "tcp" ? undefined : await makeTestPki([TLS_NAME]);
  await using server = await start(
    serverImpl,
    serverConfig(sp, transport, pki),
    sp,
    flags("server"),
  );
  await using client = await start(
    clientImpl,
    clientConfig(sp, security, [[entry, iperfPort], [probe, echo.port]], false, transport, pki),
    probe, // iperf3 would take a readiness probe for a test connection.
    flags("client"),
  );
  const before = [await cpuMs(client.pid), await cpuMs(server.pid)];
  if (rateRun) {
    const r = await connectionRate(probe, seconds, 32);
    figure = `${r.perSecond.toFixed(0)} conn/s (${r.failed} failed)`;
    units = r.perSecond * seconds;
  } else {
    const mbps = await throughput(entry, seconds, values.download!);
    figure = `${mbps.toFixed(0)} Mbit/s`;
    units = (mbps * seconds) / 8;
  }
  cpu.client = (await cpuMs(client.pid)) - before[0];
  cpu.server = (await cpuMs(server.pid)) - before[1];
  await client.stop();
  await server.stop();
}
const what = rateRun ? "connection rate" : values.download ? "download" : "upload";
const per = rateRun ? "connection" : "MB moved";
console.log(
  `${clientImpl} → ${serverImpl}, ${security}${
    transport === "tcp" ? "" : `, ${transport}`
  }, ${what}: ${figure} over ${seconds} s; CPU per ` +
    `${per}: client ${(cpu.client / units).toFixed(2)} ms, server ${
      (cpu.server / units).toFixed(2)
    } ms${values["no-prof"] ? "" : "; profiles in " + dir}`,
);
for (const role of values["no-prof"] ? [] : ["client", "server"]) {
  let files: Deno.DirEntry[] = [];
  try {
    files = [...Deno.readDirSync(`${dir}/${role}`)];
  } catch {
    continue; // v2ray in that role: no profile
  }
  for (const entry of files) {
    const profile = JSON.parse(Deno.readTextFileSync(`${dir}/${role}/${entry.name}`));
    console.log(`\n${role} (${entry.name}): self time`);
    for (const h of hotSpots(profile).slice(0, Number(values.top))) {
      console.log(
        `${h.percent.toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(6)} ms  ${h.where}`,
      );
    }
  }
}
