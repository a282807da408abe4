/** Tests that need a peer program (v2ray, nginx, haproxy): skipped with a line outside CI, failing in CI. */

/** Whether `program` is on PATH. */
export function hasProgram(program: string): boolean {
  try {
    const r = new Deno.Command("sh", {
      args: ["-c", `command -v ${program}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return r.success;
  } catch {
    return false;
  }
}

/**
 * A Deno.test that runs when `program` is installed. Without it: ignored with a clear line, or,
 * when CI=true, a failing test that names the missing program.
 */
export function peerTest(program: string, name: string, fn: () => Promise<void>): void {
  if (hasProgram(program)) {
    Deno.test(name, fn);
  } else if (Deno.env.get("CI") === "true") {
    Deno.test(name, () => {
      throw new Error(`${program} is not installed, and CI needs it`);
    });
  } else {
    console.error(`skipping "${name}": ${program} is not installed (CI installs it)`);
    Deno.test({ name, ignore: true, fn });
  }
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
