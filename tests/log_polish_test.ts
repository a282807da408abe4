/**
 * What the logs look like to an operator: no colour codes in piped output, the start-up line at
 * info with the version, SIGHUP logged rather than fatal, and a VMess connection that a client
 * ends normally not logged as a failure.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { Spawned, writeTempConfig } from "./helpers/process.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { HttpOrigin } from "./helpers/http_server.ts";
import { EchoServer, sendAndReceive } from "./helpers/net.ts";
import { socksConnect } from "./helpers/socks.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";
import { VERSION } from "../lib/cli/version.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";
const ESC = "\x1b";

Deno.test("log: piped output carries no ANSI codes; start-up at info with version; SIGHUP is not fatal", async () => {
  await using echo = new EchoServer();
  const config = await writeTempConfig({
    log: { loglevel: "debug" },
    inbounds: [
      { tag: "socks-in", listen: "127.0.0.1", port: 0, protocol: "socks" },
      {
        tag: "vmess-in",
        listen: "127.0.0.1",
        port: 0,
        protocol: "vmess",
        settings: { clients: [{ id: ID }] },
      },
    ],
    outbounds: [{ protocol: "freedom" }],
    // An unknown key: a warning line too.
    colourful: true,
  });
  try {
    // No NO_COLOR, no terminal: only PATH and HOME (Deno's cache) are passed on. --quiet keeps
    // Deno's own download lines out (coloured without NO_COLOR: the launcher and unit set it).
    await using p = new Spawned(
      Deno.execPath(),
      ["run", "-A", "--quiet", "main.ts", "run", "-c", config],
      undefined,
      {
        env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/root" },
        clearEnv: true,
      },
    );
    const [, socks] = await p.waitFor(/socks-in \(socks\) listening on tcp 127\.0\.0\.1:(\d+)/);
    const [, vmess] = await p.waitFor(/vmess-in \(vmess\) listening on tcp 127\.0\.0\.1:(\d+)/);
    await p.waitFor(/denoray started/);
    // An access line, a probe's rejection (info) and SIGHUP (warning) …
    const conn = await socksConnect(Number(socks), echo.port);
    try {
      const back = await sendAndReceive(conn, new TextEncoder().encode("ping"));
      assertEquals(new TextDecoder().decode(back), "ping");
    } finally {
      conn.close();
    }
    const probe = await Deno.connect({ hostname: "127.0.0.1", port: Number(vmess) });
    try {
      await probe.write(new Uint8Array(4000).fill(7));
      await p.waitFor(/vmess vmess-in: .* rejected/);
    } finally {
      probe.close();
    }
    p.child.kill("SIGHUP");
    await p.waitFor(/config reloaded: /);
    // … and the process still serves after SIGHUP.
    const again = await socksConnect(Number(socks), echo.port);
    try {
      const back = await sendAndReceive(again, new TextEncoder().encode("pong"));
      assertEquals(new TextDecoder().decode(back), "pong");
    } finally {
      again.close();
    }
    p.child.kill("SIGTERM");
    const r = await p.done();
    assertEquals(r.code, 0, r.stderr);
    assert(!r.stderr.includes(ESC), `colour codes in:\n${JSON.stringify(r.stderr)}`);
    const startup = r.stderr.split("\n").filter((l) => l.includes(" starting with "));
    assertEquals(startup.length, 1, r.stderr);
    // The backend is the child's own choice (auto: openssl where libcrypto loads).
    const line = startup[0].replace(/crypto (openssl|node)\)/, "crypto BACKEND)");
    assert(
      line.endsWith(
        `[Info] denoray ${VERSION} (Deno ${Deno.version.deno}, crypto BACKEND) starting with ${config}`,
      ),
      startup[0],
    );
    assertStringIncludes(r.stderr, "accepted tcp:127.0.0.1:");
    assertStringIncludes(r.stderr, "[Warning] config: colourful");
  } finally {
    await Deno.remove(config);
  }
});

Deno.test("log: a bad config's report carries no ANSI codes either", async () => {
  await using p = new Spawned(
    Deno.execPath(),
    ["run", "-A", "--quiet", "main.ts", "run", "-c", "tests/fixtures/config/bad_uuid.json"],
    undefined,
    {
      env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/root" },
      clearEnv: true,
    },
  );
  const r = await p.done();
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "not a UUID");
  assert(!r.stderr.includes(ESC), JSON.stringify(r.stderr));
});

Deno.test("log: a VMess connection its client ends normally is not logged as a failure", async () => {
  await using origin = new HttpOrigin("hi");
  const serverLines: string[] = [], clientLines: string[] = [];
  const server = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients: [{ id: ID, email: "u@test" }] },
    }],
    outbounds: [{ protocol: "freedom" }],
  }, new Logger("debug", memorySink(serverLines), null));
  await using _s = server;
  const client = await RunningInstance.start({
    inbounds: [{ listen: "127.0.0.1", port: 0, protocol: "http" }],
    outbounds: [{
      protocol: "vmess",
      settings: { vnext: [{ address: "127.0.0.1", port: server.port(), users: [{ id: ID }] }] },
    }],
  }, new Logger("debug", memorySink(clientLines), null));
  await using _c = client;
  // The HTTP inbound closes its VMess connection once the response is in, without a terminator
  // chunk, as V2Ray's does.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
  try {
    const url = `http://127.0.0.1:${origin.port}/x`;
    const req =
      `GET ${url} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\nConnection: close\r\n\r\n`;
    const res = new TextDecoder().decode(await sendAndReceive(conn, new TextEncoder().encode(req)));
    assert(res.startsWith("HTTP/1.1 200") && res.endsWith("hi /x"), res);
  } finally {
    conn.close();
  }
  // Stopping waits (grace) until both sides have finished with the connection.
  await client.instance.stop(10_000);
  await server.instance.stop(10_000);
  const failures = [...serverLines, ...clientLines].filter((l) => / closed: |\[Error\]/.test(l));
  assertEquals(failures, [], [...serverLines, ...clientLines].join("\n"));
});
