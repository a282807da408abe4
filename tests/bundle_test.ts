import { assertEquals, assertStringIncludes } from "./assert.ts";
import { runToEnd, Spawned } from "./helpers/process.ts";
import { curl, HttpOrigin } from "./helpers/http_server.ts";
import { requirePeer } from "./helpers/peers.ts";

Deno.test("bundle: deno task bundle's command writes one file that runs on its own", {
  ignore: !requirePeer("curl"),
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/denoray.js`;
    const b = await runToEnd(Deno.execPath(), ["bundle", "--quiet", "--output", out, "main.ts"]);
    assertEquals(b.code, 0, b.stderr);
    // Run from an empty directory so nothing but the bundle itself is available.
    const v = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", out, "version"],
      cwd: dir,
    }).output();
    assertEquals(v.code, 0);
    assertStringIncludes(new TextDecoder().decode(v.stdout), "denoray ");
    await Deno.writeTextFile(
      `${dir}/c.json`,
      '{ /* comment */ "outbounds": [{ "protocol": "freedom" }] }',
    );
    const t = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", out, "test", "-c", "c.json"],
      cwd: dir,
    }).output();
    assertEquals(new TextDecoder().decode(t.stdout).trim(), "Configuration OK.");
    // The bundle serves: a SOCKS inbound on an OS-chosen port answers curl, then SIGTERM stops it.
    await using origin = new HttpOrigin("from-bundle");
    await Deno.writeTextFile(
      `${dir}/serve.json`,
      JSON.stringify({
        inbounds: [{ listen: "127.0.0.1", port: 0, protocol: "socks" }],
        outbounds: [{ protocol: "freedom" }],
      }),
    );
    await using p = new Spawned(Deno.execPath(), [
      "run",
      "-A",
      "--unstable-net",
      out,
      "run",
      "-c",
      "serve.json",
    ], dir);
    const [, port] = await p.waitFor(/listening on tcp 127\.0\.0\.1:(\d+)/);
    const r = await curl([
      "-x",
      `socks5h://127.0.0.1:${port}`,
      `http://127.0.0.1:${origin.port}/b`,
    ]);
    assertEquals([r.status, r.body], ["200", "from-bundle /b"]);
    p.child.kill("SIGTERM");
    assertEquals((await p.done()).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
