/**
 * Tests that need a peer program (v2ray, nginx, haproxy): peerTest() registers one through
 * requirePeer() (tests/helpers/peers.ts), so a missing program is skipped outside CI and counted
 * in the test task's one line about skips, and fails the test under CI=true.
 */
import { findOnPath, type Peer, requirePeer } from "./peers.ts";

/** Whether `program` is on PATH. */
export function hasProgram(program: string): boolean {
  return findOnPath(program) !== null;
}

/**
 * A Deno.test that runs when `program` (or every program of a list) is installed (see requirePeer
 * for the rest).
 */
export function peerTest(
  program: Peer | readonly Peer[],
  name: string,
  fn: () => Promise<void>,
): void {
  const programs = typeof program === "string" ? [program] : program;
  Deno.test({ name, ignore: !requirePeer(...programs), fn });
}

/**
 * The same rule for any other requirement (a library, a permission): `missing` says why it is not
 * here, or is null when it is. Ignored with a clear line outside CI; failing in CI.
 */
export function needsTest(
  name: string,
  missing: string | null,
  fn: () => void | Promise<void>,
): void {
  if (missing === null) {
    Deno.test(name, fn);
  } else if (Deno.env.get("CI") === "true") {
    Deno.test(name, () => {
      throw new Error(`${missing}, and CI needs it`);
    });
  } else {
    console.error(`skipping "${name}": ${missing}`);
    Deno.test({ name, ignore: true, fn });
  }
}
