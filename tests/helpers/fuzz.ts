/**
 * Shared settings of the property-based tests (fast-check): a short run by default (CI), a long
 * one under `deno task fuzz` (FUZZ_RUNS), and a seed printed so that any run can be replayed
 * (FUZZ_SEED).
 */
import type { Parameters } from "fast-check";

const runs = Number(Deno.env.get("FUZZ_RUNS") ?? "200");
const seedEnv = Deno.env.get("FUZZ_SEED");
const seed = seedEnv !== undefined ? Number(seedEnv) : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
let printed = false;

/** fast-check parameters for one property: the run count and the session's seed. */
export function fuzzParams<T>(extra: Parameters<T> = {}): Parameters<T> {
  if (!printed && Deno.env.get("FUZZ_RUNS") !== undefined) {
    printed = true;
    console.log(`fuzz: ${runs} runs per property, FUZZ_SEED=${seed} replays this session`);
  }
  return { numRuns: runs, seed, ...extra };
}
