import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runToEnd, spawnDenoray, writeTempConfig } from "./helpers/process.ts";

const main = ["run", "-A", "--unstable-net", "main.ts"];

Deno.test("cli: test -c reports Configuration OK. for the default config", async () => {
  const r = await runToEnd(Deno.execPath(), [...main, "test", "-c", "config.json"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout.trim(), "Configuration OK.");
});

Deno.test("cli: test -c lists every error with its JSON path and exits non-zero", async () => {
  const r = await runToEnd(Deno.execPath(), [
    ...main,
    "test",
    "-c",
    "tests/fixtures/config/out_of_range.json",
  ]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "outbounds[0].settings.vnext[0].port: must be at most 65535");
  assertStringIncludes(
    r.stderr,
    "outbounds[0].settings.vnext[0].users[0].alterId: must be at most 65535",
  );
  assertEquals(r.stdout, "");
});

Deno.test("cli: run with a bad config prints the error and starts nothing", async () => {
  const r = await runToEnd(Deno.execPath(), [
    ...main,
    "run",
    "-c",
    "tests/fixtures/config/bad_uuid.json",
  ]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "users[0].id: not a UUID");
  assert(!r.stderr.includes("started"), r.stderr);
});

Deno.test("cli: uuid prints a v4 UUID and version names denoray and Deno", async () => {
  const u = await runToEnd(Deno.execPath(), [...main, "uuid"]);
  assert(
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u.stdout.trim()),
    u.stdout,
  );
  const v = await runToEnd(Deno.execPath(), [...main, "version"]);
  assert(/^denoray \d+\.\d+\.\d+ \(Deno 2\.9\.\d+/.test(v.stdout), v.stdout);
});

Deno.test("cli: every command has --help with an example", async () => {
  for (const cmd of ["run", "test", "uuid", "version"]) {
    const r = await runToEnd(Deno.execPath(), [...main, cmd, "--help"]);
    assertEquals(r.code, 0, cmd);
    assertStringIncludes(r.stdout, "Example", cmd);
  }
});

Deno.test("cli: run stops on SIGTERM and exits 0", async () => {
  const config = await writeTempConfig({});
  try {
    await using p = spawnDenoray(["run", "-c", config]);
    await p.waitFor(/denoray started/);
    p.child.kill("SIGTERM");
    const r = await p.done();
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stderr, "SIGTERM received");
  } finally {
    await Deno.remove(config);
  }
});
