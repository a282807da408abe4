/**
 * Tests that need a peer program (v2ray, …): outside CI a missing program skips them with a clear
 * line; under CI=true they run, and fail saying what is missing.
 */

/** Whether `program` is an executable on PATH. */
export function onPath(program: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    try {
      const info = Deno.statSync(`${dir}/${program}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

const CI = Deno.env.get("CI") === "true";
const announced = new Set<string>();

/**
 * `ignore` for Deno.test: true when `program` is missing and we are not in CI (a line says so,
 * once per program). Call the returned `check()` first in the test: under CI it throws for a
 * missing program.
 */
export function needs(program: string): { ignore: boolean; check: () => void } {
  const present = onPath(program);
  if (!present && !CI && !announced.has(program)) {
    announced.add(program);
    console.log(`skipping tests that need ${program}: not installed (they fail under CI=true)`);
  }
  return {
    ignore: !present && !CI,
    check() {
      if (!present) throw new Error(`${program} is required (CI=true) but is not on PATH`);
    },
  };
}
