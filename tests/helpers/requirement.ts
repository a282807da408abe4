/**
 * Tests that need something this machine may lack (a peer program, a library): outside CI they
 * are ignored with one clear line saying what is missing; with CI=true they run and fail with it.
 */

/** Whether tests run in CI (CI=true), where nothing may be skipped. */
export const IN_CI = Deno.env.get("CI") === "true";

/**
 * Deno.test options for a test needing `what`; `missing` is why it is not here, or null. Outside
 * CI a missing requirement prints a line and ignores the test; in CI the test runs, and should
 * call `requireHere(what, missing)` first to fail with the reason.
 */
export function needs(what: string, missing: string | null): { ignore: boolean } {
  if (missing !== null && !IN_CI) {
    console.log(`skipping tests that need ${what}: ${missing}`);
    return { ignore: true };
  }
  return { ignore: false };
}

/** Throws when `missing` is set: the CI side of needs(). */
export function requireHere(what: string, missing: string | null): void {
  if (missing !== null) throw new Error(`${what} is required in CI: ${missing}`);
}
