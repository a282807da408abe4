/**
 * `deno task soak [-- --tunnels 1000 --rounds 5 --bytes 65536 --idle 20 --impl denoray]`: many
 * tunnels at once, round after round, every byte checked, descriptors back to where they were
 * after each round; memory per tunnel at the peak, and how much of the growth was given back
 * while idle after the load (read once a second). Exits 1 if a byte or a descriptor did not come
 * back.
 */
import { parseArgs } from "node:util";
import type { Impl } from "./lib/procs.ts";
import { returnedPercent, soak } from "./lib/soak.ts";

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
const most = (k: "client" | "server", f: "peakKiB" | "maxKiB") =>
  Math.max(...r.rounds.map((x) => x[f][k]));
for (const k of ["client", "server"] as const) {
  const base = r.baselineKiB[k], peak = most(k, "maxKiB");
  const per = (v: number) => ((v - base) / plan.tunnels).toFixed(1);
  const returned = r.afterTimeline
    .map((p, i) => ({ s: i + 1, pct: returnedPercent(base, peak, p[k]) }))
    .filter(({ s }) => s % 5 === 0 || s === r.afterTimeline.length)
    .map(({ s, pct }) => `${pct}% after ${s} s`);
  console.log(
    `${k}: baseline ${base} KiB, at most ${peak} KiB while running (${per(peak)} KiB per ` +
      `tunnel), ${most(k, "peakKiB")} KiB with a round's tunnels all open ` +
      `(${per(most(k, "peakKiB"))} KiB per tunnel); ${r.afterKiB[k]} KiB after ` +
      `${plan.idleSeconds} s idle` +
      (returned.length > 0 ? ` (growth given back: ${returned.join(", ")})` : ""),
  );
}
console.log(r.ok ? "soak: ok" : "soak: FAILED");
Deno.exit(r.ok ? 0 : 1);
