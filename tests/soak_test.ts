/**
 * A short soak (the CI cut of `deno task soak`): 200 tunnels at once through two denoray processes,
 * two rounds, every byte checked, and both processes back to their starting descriptor count.
 */
import { assert, assertEquals } from "./assert.ts";
import { soak } from "../bench/lib/soak.ts";

Deno.test("soak: 200 concurrent tunnels × 2 rounds, bytes intact, descriptors back to baseline", async () => {
  const lines: string[] = [];
  const r = await soak(
    {
      impl: "denoray",
      tunnels: 200,
      rounds: 2,
      bytes: 65536,
      security: "aes-128-gcm",
      idleSeconds: 0,
    },
    (l) => lines.push(l),
  );
  assert(r.ok, lines.join("\n"));
  assertEquals(r.rounds.length, 2, "both rounds ran");
});
