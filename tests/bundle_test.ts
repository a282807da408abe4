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
    // Outside the project (no deno.json) and without --unstable-net there are no UDP sockets: a
    // config that needs them does not start, and says which inbound and what to do.
    await Deno.writeTextFile(
      `${dir}/udp.json`,
      JSON.stringify({
        inbounds: [{
          tag: "socks-in",
          listen: "127.0.0.1",
          port: 0,
          protocol: "socks",
          settings: { udp: true },
        }],
        outbounds: [{ protocol: "freedom" }],
      }),
    );
    const noUdp = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", out, "run", "-c", "udp.json"],
      cwd: dir,
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(noUdp.code, 1);
    assertStringIncludes(
      new TextDecoder().decode(noUdp.stderr),
      'denoray: inbound "socks-in" (socks with "udp": true) needs UDP sockets, which this Deno ' +
        "does not give: run Deno with --unstable-net",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
