/**
 * `deno task soak [-- --tunnels 1000 --rounds 5 --bytes 65536 --idle 20 --impl denoray]`: many
 * tunnels at once, round after round, every byte checked, descriptors back to where they were
 * after each round, memory at the peak and after an idle wait. Exits 1 if a byte or a descriptor
 * did not come back.
 */
import { parseArgs } from "node:util";
import type { Impl } from "./lib/procs.ts";
import { soak } from "./lib/soak.ts";

// `deno task soak -- --tunnels 10` passes the "--" on: drop it.
const { values } = parseArgs({
  args: Deno.args.filter((a, i) => !(i === 0 && a === "--")),
  options: {
    tunnels: { type: "string", default: "1000" },
    rounds: { type: "string", default: "5" },
    bytes: { type: "string", default: "65536" },
    idle: { type: "string", default: "20" },
    impl: { type: "string", default: "denoray" },
    security: { type: "string", default: "aes-128-gcm" },
  },
});
const plan = {
  impl: values.impl as Impl,
  tunnels: Number(values.tunnels),
  rounds: Number(values.rounds),
  bytes: Number(values.bytes),
  idleSeconds: Number(values.idle),
  security: values.security!,
};
console.log(
  `soak: ${plan.impl} → ${plan.impl}, ${plan.tunnels} tunnels × ${plan.rounds} rounds, ` +
    `${plan.bytes} bytes down and ${Math.floor(plan.bytes / 10)} up each, ${plan.security}`,
);
const r = await soak(plan, (line) => console.log(line));
const peak = (k: "client" | "server") => Math.max(...r.rounds.map((x) => x.peakKiB[k]));
for (const k of ["client", "server"] as const) {
  const grown = peak(k) - r.baselineKiB[k];
  console.log(
    `${k}: baseline ${r.baselineKiB[k]} KiB, peak ${peak(k)} KiB ` +
      `(${(grown / plan.tunnels).toFixed(1)} KiB per open tunnel), ` +
      `${r.afterKiB[k]} KiB after ${plan.idleSeconds} s idle ` +
      `(${
        grown > 0 ? Math.round(100 * (peak(k) - r.afterKiB[k]) / grown) : 100
      }% of the growth returned)`,
  );
}
console.log(r.ok ? "soak: ok" : "soak: FAILED");
Deno.exit(r.ok ? 0 : 1);
