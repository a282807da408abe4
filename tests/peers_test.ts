/** Missing peer programs: skipped with one line outside CI, a failure under CI=true. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { skipSummary } from "./helpers/peers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("peers: the skip line counts tests by reason and names the packages", () => {
  assertEquals(skipSummary(["", "\n"]), "");
  assertEquals(
    skipSummary(["skip:curl", "skip:systemd-analyze", "skip:v2ray", "skip:root", "skip:v2ray", ""]),
    "tests: 5 skipped (2 need v2ray, 1 needs curl, 1 needs root, 1 needs systemd-analyze): " +
      "sudo apt-get install -y v2ray curl systemd, or run the test command as root (it then " +
      "installs what is missing).",
  );
  assertEquals(
    skipSummary(["skip:root"]),
    "tests: 1 skipped (1 needs root): run the test command as root.",
  );
  assertEquals(
    skipSummary(["skip:curl", "fail:v2ray", "fail:v2ray,curl"]),
    "tests: CI=true, so 2 tests ran without what they need and failed (2 need v2ray, 1 needs " +
      "curl): apt-get install -y v2ray curl.",
  );
});

/** A PATH holding only deno: every peer program is missing. */
async function denoOnlyPath(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.symlink(Deno.execPath(), `${dir}/deno`);
  return dir;
}

/** Runs the test task's runner on one test file with `env`; returns its exit code and output. */
async function runner(file: string, env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "tests/runner.ts", file],
    cwd: ROOT,
    env: { NO_COLOR: "1", DENORAY_NO_INSTALL: "1", ...env },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("peers: without v2ray the test task skips exactly its tests, with one line", async () => {
  const path = await denoOnlyPath();
  try {
    const r = await runner("tests/outbound_chain_test.ts", { PATH: path, CI: "false" });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertStringIncludes(r.stdout, "| 2 passed | 0 failed | 1 ignored");
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("tests: "));
    assertEquals(lines, [
      "tests: 1 skipped (1 needs v2ray): sudo apt-get install -y v2ray, or run the test " +
      "command as root (it then installs what is missing).",
    ]);
  } finally {
    await Deno.remove(path, { recursive: true });
  }
});

Deno.test("peers: under CI=true a missing v2ray is a failure, not a skip", async () => {
  const path = await denoOnlyPath();
  try {
    const r = await runner("tests/outbound_chain_test.ts", { PATH: path, CI: "true" });
    assert(r.code !== 0, r.stdout);
    assertStringIncludes(r.stdout, "| 2 passed | 1 failed");
    assert(!r.stdout.includes("ignored"), r.stdout);
    assertStringIncludes(
      r.stdout,
      "tests: CI=true, so 1 test ran without what they need and failed (1 needs v2ray)",
    );
  } finally {
    await Deno.remove(path, { recursive: true });
  }
});
