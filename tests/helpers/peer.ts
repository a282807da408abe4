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
 * A Deno.test that runs when `program` (or every one of a list) is installed. Without it: ignored
 * with a clear line, or, when CI=true, a failing test that names the missing program.
 */
export function peerTest(
  program: string | readonly string[],
  name: string,
  fn: () => Promise<void>,
): void {
  const missing = (typeof program === "string" ? [program] : program).filter((p) => !hasProgram(p))
    .join(", ");
  if (missing === "") {
    Deno.test(name, fn);
  } else if (Deno.env.get("CI") === "true") {
    Deno.test(name, () => {
      throw new Error(`${missing} is not installed, and CI needs it`);
    });
  } else {
    console.error(`skipping "${name}": ${missing} is not installed (CI installs it)`);
    Deno.test({ name, ignore: true, fn });
  }
}
