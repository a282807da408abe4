/**
 * `deno task profile [-- --security chacha20-poly1305] [--seconds 5] [--download] [--top 15]`:
 * one iperf3 run through denoray → denoray with both processes under `--cpu-prof`, then each
 * process's hottest functions by self time. The profiles stay in the printed directory.
 */
import { parseArgs } from "node:util";
import { freePort, start } from "./lib/procs.ts";
import { Echo, iperfServer } from "./lib/targets.ts";
import { throughput } from "./lib/measure.ts";
import { clientConfig, serverConfig } from "./lib/configs.ts";
import { hotSpots } from "./lib/cpu_profile.ts";

const { values } = parseArgs({
  options: {
    security: { type: "string", default: "chacha20-poly1305" },
    seconds: { type: "string", default: "5" },
    download: { type: "boolean", default: false },
    top: { type: "string", default: "15" },
  },
});
const security = values.security!;
const seconds = Number(values.seconds);
const dir = await Deno.makeTempDir({ prefix: "denoray-profile-" });
const flags = (role: string) => ["--cpu-prof", `--cpu-prof-dir=${dir}/${role}`];

const iperfPort = freePort(), sp = freePort(), entry = freePort(), probe = freePort();
let mbps: number;
{
  await using _iperf = await iperfServer(iperfPort);
  await using echo = new Echo();
  await using server = await start("denoray", serverConfig(sp), sp, flags("server"));
  await using client = await start(
    "denoray",
    clientConfig(sp, security, [[entry, iperfPort], [probe, echo.port]]),
    probe, // iperf3 would take a readiness probe for a test connection.
    flags("client"),
  );
  mbps = await throughput(entry, seconds, values.download!);
  await client.stop();
  await server.stop();
}
console.log(
  `denoray → denoray, ${security}, ${values.download ? "download" : "upload"}: ${
    mbps.toFixed(0)
  } Mbit/s over ${seconds} s; profiles in ${dir}`,
);
for (const role of ["client", "server"]) {
  for (const entry of Deno.readDirSync(`${dir}/${role}`)) {
    const profile = JSON.parse(Deno.readTextFileSync(`${dir}/${role}/${entry.name}`));
    console.log(`\n${role} (${entry.name}): self time`);
    for (const h of hotSpots(profile).slice(0, Number(values.top))) {
      console.log(
        `${h.percent.toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(6)} ms  ${h.where}`,
      );
    }
  }
}
