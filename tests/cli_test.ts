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
  for (const cmd of ["run", "test", "dump", "uuid", "version"]) {
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

/** Runs denoray with `input` on standard input and `env` added. */
async function denoray(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...main, ...args],
    stdin: options.input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  if (options.input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.input));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const OK = "Configuration OK.";

Deno.test("cli: V2Ray's spellings: -test -config, -c, --config=, -version, --version", async () => {
  for (
    const args of [
      ["-test", "-config", "config.json"],
      ["-test", "-c", "config.json"],
      ["-test=true", "--config=config.json"],
      ["test", "-config", "config.json"],
      ["test", "--config", "config.json"],
    ]
  ) {
    const r = await runToEnd(Deno.execPath(), [...main, ...args]);
    assertEquals([r.code, r.stdout.trim()], [0, OK], `${args.join(" ")}: ${r.stderr}`);
  }
  for (const v of ["-version", "--version"]) {
    const r = await runToEnd(Deno.execPath(), [...main, v]);
    assert(/^denoray \d+\.\d+\.\d+ \(Deno /.test(r.stdout), `${v}: ${r.stdout}${r.stderr}`);
  }
});

Deno.test("cli: the config on standard input as stdin: or -", async () => {
  const text = '# from a pipe\n{ "outbounds": [{ "protocol": "freedom" }] }';
  for (const name of ["stdin:", "-"]) {
    const r = await denoray(["-test", "-config", name], { input: text });
    assertEquals([r.code, r.stdout.trim()], [0, OK], r.stderr);
  }
  const bad = await denoray(["test", "-c", "stdin:"], { input: "{ oops" });
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.stderr, "stdin:: bad JSON at line 1");
});

Deno.test("cli: -confdir adds every *.json of a directory by name after the -c files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/20_out.json`,
      '{ "outbounds": [{ "tag": "x", "protocol": "blackhole" }] }',
    );
    await Deno.writeTextFile(
      `${dir}/10_in.json`,
      '{ "inbounds": [{ "port": 1, "protocol": "socks" }] }',
    );
    await Deno.writeTextFile(`${dir}/notes.txt`, "not a config");
    const base = await writeTempConfig({ outbounds: [{ tag: "y", protocol: "freedom" }] });
    try {
      const r = await denoray(["dump", "-c", base, "-confdir", dir]);
      assertEquals(r.code, 0, r.stderr);
      const dumped = JSON.parse(r.stdout);
      // 4.34's merge: the single outbound with a new tag is prepended.
      assertEquals(dumped.outbounds.map((o: { tag: string }) => o.tag), ["x", "y"]);
      assertEquals(dumped.inbounds.length, 1);
      const env = await denoray(["test"], { env: { V2RAY_LOCATION_CONFDIR: dir } });
      assertEquals([env.code, env.stdout.trim()], [0, OK], env.stderr);
      const missing = await denoray(["test", "-confdir", `${dir}/nope`]);
      assertEquals(missing.code, 2);
      assertStringIncludes(missing.stderr, "not a directory");
    } finally {
      await Deno.remove(base);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: dump prints the merged config with defaults as V2Ray JSON", async () => {
  const r = await denoray(["dump", "-c", "config.json"]);
  assertEquals(r.code, 0, r.stderr);
  const dumped = JSON.parse(r.stdout);
  assertEquals(dumped.inbounds[0].settings.userLevel, 0);
  assertEquals(dumped.outbounds[0].settings.vnext[0].users[0].security, "auto");
  assertEquals(dumped.routing.domainStrategy, "AsIs");
  // The dump is itself a valid config.
  const file = await writeTempConfig(dumped);
  try {
    const again = await denoray(["test", "-c", file]);
    assertEquals([again.code, again.stdout.trim()], [0, OK], again.stderr);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("cli: test checks that log files can be written, without creating them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = await writeTempConfig({ log: { access: `${dir}/access.log`, error: "" } });
    const bad = await writeTempConfig({ log: { error: `${dir}/no/such/dir/error.log` } });
    try {
      const ok = await denoray(["test", "-c", good]);
      assertEquals([ok.code, ok.stdout.trim()], [0, OK], ok.stderr);
      assertEquals([...Deno.readDirSync(dir)].length, 0);
      const r = await denoray(["test", "-c", bad]);
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, `log.error: cannot write "${dir}/no/such/dir/error.log"`);
    } finally {
      await Deno.remove(good);
      await Deno.remove(bad);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --strict turns warnings into errors; --merge deep merges key by key", async () => {
  const warn = await writeTempConfig({ outbounds: [{ protocol: "freedom", tga: "x" }] });
  const a = await writeTempConfig({ inbounds: [{ tag: "in", port: 1, protocol: "socks" }] });
  const b = await writeTempConfig({
    inbounds: [{ tag: "in", protocol: "socks" }],
    outbounds: [{ protocol: "freedom" }],
  });
  try {
    const lax = await denoray(["test", "-c", warn]);
    assertEquals(lax.code, 0, lax.stderr);
    assertStringIncludes(
      lax.stderr,
      'warning: outbounds[0].tga: unknown key, ignored; did you mean "tag"?',
    );
    const strict = await denoray(["test", "--strict", "-c", warn]);
    assertEquals(strict.code, 1);
    assertStringIncludes(strict.stderr, "outbounds[0].tga: unknown key");
    // As 4.34: b's single inbound replaces a's whole, port and all.
    const v2 = await denoray(["test", "-c", a, "-c", b]);
    assertEquals(v2.code, 1);
    assertStringIncludes(v2.stderr, "inbounds[0].port: is required");
    const deep = await denoray(["test", "--merge", "deep", "-c", a, "-c", b]);
    assertEquals([deep.code, deep.stdout.trim()], [0, OK], deep.stderr);
  } finally {
    for (const f of [warn, a, b]) await Deno.remove(f);
  }
});

Deno.test("cli: an unknown flag or command is a usage error (exit 2)", async () => {
  for (const args of [["test", "-x"], ["frobnicate"], ["-config"], ["test", "--merge", "wide"]]) {
    const r = await denoray(args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertStringIncludes(r.stderr, "denoray: ");
  }
});
