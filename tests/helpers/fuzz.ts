/**
 * Shared settings of the property-based tests (fast-check): each property's own run count in the
 * suite, every one at FUZZ_RUNS under `deno task fuzz`, and a seed printed there so that a run can
 * be replayed (FUZZ_SEED). Importing this module also sets fast-check's defaults, so properties
 * asserted without parameters follow FUZZ_RUNS and FUZZ_SEED too.
 */
import fc, { type Parameters } from "fast-check";

const envRuns = Deno.env.get("FUZZ_RUNS");
const runs = envRuns !== undefined ? Number(envRuns) : undefined;
const seedEnv = Deno.env.get("FUZZ_SEED");
const seed = seedEnv !== undefined ? Number(seedEnv) : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;

if (runs !== undefined) {
  console.log(`fuzz: ${runs} runs per property, FUZZ_SEED=${seed} replays this session`);
}
fc.configureGlobal({ seed, ...(runs !== undefined ? { numRuns: runs } : {}) });

/**
 * fast-check parameters for one property: its own run count in the suite (`extra.numRuns`, else
 * 200), FUZZ_RUNS when set, and the session's seed.
 */
export function fuzzParams<T>(extra: Parameters<T> = {}): Parameters<T> {
  return { ...extra, seed, numRuns: runs ?? extra.numRuns ?? 200 };
}
