/**
 * Reload in-process, through real sockets: users added and removed, inbounds added, removed and
 * changed, open tunnels finishing on the config they began with, a bad config rejected (with its
 * JSON path in the log), a failed bind rolled back, and the VMess replay filter carried over.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { SntpServer } from "./helpers/sntp_server.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { LogLines } from "./helpers/log_lines.ts";
import {
  digest,
  EchoServer,
  freePort,
  patternBytes,
  sendAndReceive,
  UdpEchoServer,
  udpRoundTrips,
} from "./helpers/net.ts";
import { socksConnect } from "./helpers/socks.ts";
import { writeTempConfig } from "./helpers/process.ts";
import { parseUuid } from "../lib/vmess/mod.ts";
import { firstPacket } from "./helpers/vmess.ts";
import { loadConfigFiles } from "../lib/config/mod.ts";
import { listenForReload, reloadOnce } from "../lib/cli/reload.ts";
import { canonicalJson, planInbounds } from "../lib/app/inbound_plan.ts";
import { loadConfigObject } from "../lib/config/mod.ts";
import { fileSink, Logger } from "../lib/log/mod.ts";

const ID_A = "b831381d-6324-4d53-ad4f-8cda48b30811";
const ID_B = "27848739-7e62-4138-9fd3-698a51b6f2fb";
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A VMess server config with these clients (emails a@test, b@test by id). */
function vmessServer(ids: string[], port = 0, extra: Record<string, unknown> = {}) {
  return {
    log: { loglevel: "info" },
    inbounds: [{
      tag: "vmess-in",
      listen: "127.0.0.1",
      port,
      protocol: "vmess",
      settings: { clients: ids.map((id) => ({ id, email: id === ID_A ? "a@test" : "b@test" })) },
    }],
    outbounds: [{ protocol: "freedom" }],
    // A refused client is drained at most this long (seconds): it bounds how long a test waits.
    policy: {
      levels: { "0": { handshake: 1, statsUserUplink: true, statsUserDownlink: true } },
    },
    stats: {},
    ...extra,
  };
}

/** A client instance: a dokodemo-door to `target` through a VMess outbound with user `id`. */
function vmessClient(serverPort: number, id: string, target: number): Promise<RunningInstance> {
  return RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: target },
    }],
    outbounds: [{
      protocol: "vmess",
      settings: { vnext: [{ address: "127.0.0.1", port: serverPort, users: [{ id }] }] },
    }],
  });
}

/** Sends `text` through 127.0.0.1:port and returns what came back (empty if it was cut). */
async function roundTrip(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    return dec.decode(await sendAndReceive(conn, enc.encode(text)));
  } catch {
    return "";
  } finally {
    conn.close();
  }
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let o = 0;
  while (o < n) {
    const got = await conn.read(out.subarray(o));
    if (got === null) throw new Error(`closed after ${o} of ${n} bytes`);
    o += got;
  }
  return out;
}

/** An open tunnel that has echoed a first part: the rest is sent later. */
async function openTunnel(conn: Deno.Conn, first: string): Promise<Deno.Conn> {
  await conn.write(enc.encode(first));
  assertEquals(dec.decode(await readExactly(conn, first.length)), first);
  return conn;
}

/** Sends 1 MiB more on an open tunnel, half-closes, and checks every byte came back. */
async function finishTunnel(conn: Deno.Conn, seed: number): Promise<void> {
  const data = patternBytes(1 << 20, seed);
  assertEquals(digest(await sendAndReceive(conn, data)), digest(data));
}

Deno.test("reload: a user added works without a restart, on the same listener; counters carry over", async () => {
  await using echo = new EchoServer();
  const log = new LogLines();
  await using server = await RunningInstance.start(vmessServer([ID_A]), log.logger());
  const port = server.port();
  await using a = await vmessClient(port, ID_A, echo.port);
  await using b = await vmessClient(port, ID_B, echo.port);
  assertEquals(await roundTrip(a.port(), "from a"), "from a");
  assertEquals(await roundTrip(b.port(), "from b"), "", "b is not a user yet");
  await log.waitFor(/vmess vmess-in: .* rejected: bad-auth/);
  const stats = server.instance.stats;
  const before = stats?.get("user>>>a@test>>>traffic>>>uplink") ?? 0;
  assert(before > 0, "a's uplink counted");

  const report = await server.reload(vmessServer([ID_A, ID_B]));
  assertEquals(report, { kept: ["vmess-in"], bound: [], retired: [] });
  assertEquals(server.port(), port, "the listener stays");
  assertEquals(await roundTrip(b.port(), "b now"), "b now");
  assertEquals(await roundTrip(a.port(), "a still"), "a still");
  assert(server.instance.stats === stats, "the same counters");
  assert(stats!.get("user>>>a@test>>>traffic>>>uplink") > before, "a's counter went on");
  assert(stats!.get("user>>>b@test>>>traffic>>>uplink") > 0, "b counted");
});

Deno.test("reload: a user removed: new connections with its id are refused, its open tunnel finishes", async () => {
  await using echo = new EchoServer();
  const log = new LogLines();
  await using server = await RunningInstance.start(vmessServer([ID_A, ID_B]), log.logger());
  const port = server.port();
  await using a = await vmessClient(port, ID_A, echo.port);
  await using b = await vmessClient(port, ID_B, echo.port);
  const open = await openTunnel(
    await Deno.connect({ hostname: "127.0.0.1", port: b.port() }),
    "b1",
  );
  try {
    await server.reload(vmessServer([ID_A]));
    const refusedBefore = log.count(/rejected: bad-auth/);
    assertEquals(await roundTrip(b.port(), "b again"), "", "b's new connection is refused");
    await log.waitFor(/vmess vmess-in: .* rejected: bad-auth/);
    assertEquals(log.count(/rejected: bad-auth/), refusedBefore + 1);
    assertEquals(await roundTrip(a.port(), "a still"), "a still");
    // The tunnel b opened before the reload moves its whole transfer, then ends on its own.
    await finishTunnel(open, 7);
    assert(server.instance.stats!.get("user>>>b@test>>>traffic>>>uplink") >= 1 << 20);
  } finally {
    open.close();
  }
});

Deno.test("reload: an inbound added, one removed, one changed on the same port; their open tunnels finish", async () => {
  await using echo = new EchoServer();
  const log = new LogLines();
  const fixed = freePort();
  const socks = (tag: string, port = 0) => ({
    tag,
    listen: "127.0.0.1",
    port,
    protocol: "socks",
    settings: {},
  });
  await using server = await RunningInstance.start({
    inbounds: [socks("gone"), socks("changed", fixed), socks("stays")],
    outbounds: [{ protocol: "freedom" }],
  }, log.logger());
  const gonePort = server.portOf("gone");
  const staysPort = server.portOf("stays");
  const t1 = await openTunnel(await socksConnect(gonePort, echo.port), "one");
  const t2 = await openTunnel(await socksConnect(fixed, echo.port), "two");
  try {
    const report = await server.reload({
      inbounds: [
        socks("stays"),
        { tag: "changed", listen: "127.0.0.1", port: fixed, protocol: "http", settings: {} },
        socks("added"),
      ],
      outbounds: [{ protocol: "freedom" }],
    });
    assertEquals(report, {
      kept: ["stays"],
      bound: ["changed", "added"],
      retired: ["gone", "changed"],
    });
    await log.waitFor(/inbound added \(socks\) listening on tcp 127\.0\.0\.1:\d+/);
    assertEquals(server.portOf("stays"), staysPort);
    await assertRejects(() => Deno.connect({ hostname: "127.0.0.1", port: gonePort }));
    assertEquals(server.instance.activeConnections(), 2, "the two tunnels still count");
    // The changed inbound speaks HTTP on its port now.
    const http = await Deno.connect({ hostname: "127.0.0.1", port: fixed });
    try {
      await http.write(enc.encode(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\n`));
      const head = dec.decode(await readExactly(http, 12));
      assertEquals(head, "HTTP/1.1 200");
    } finally {
      http.close();
    }
    for (const port of [server.portOf("added"), staysPort]) {
      const c = await socksConnect(port, echo.port);
      try {
        assertEquals(dec.decode(await sendAndReceive(c, enc.encode("new"))), "new");
      } finally {
        c.close();
      }
    }
    await finishTunnel(t1, 1);
    await finishTunnel(t2, 2);
  } finally {
    t1.close();
    t2.close();
  }
});

Deno.test("reload: a dokodemo-door kept on its ports (TCP and UDP) sends new connections to its new destination", async () => {
  await using one = new EchoServer();
  await using two = new EchoServer();
  await using udpOne = new UdpEchoServer({ prefix: enc.encode("1:") });
  await using udpTwo = new UdpEchoServer({ prefix: enc.encode("2:") });
  const door = (tcp: number, udp: number) => ({
    inbounds: [
      {
        tag: "tcp-door",
        listen: "127.0.0.1",
        port: 0,
        protocol: "dokodemo-door",
        settings: { address: "127.0.0.1", port: tcp },
      },
      {
        tag: "udp-door",
        listen: "127.0.0.1",
        port: 0,
        protocol: "dokodemo-door",
        settings: { address: "127.0.0.1", port: udp, network: "udp" },
      },
    ],
    outbounds: [{ protocol: "freedom" }],
  });
  await using server = await RunningInstance.start(door(one.port, udpOne.port));
  const udpPort = Number(server.instance.inbound("udp-door")!.addresses()[0].split(":").pop());
  const t = await openTunnel(
    await Deno.connect({ hostname: "127.0.0.1", port: server.portOf("tcp-door") }),
    "to one",
  );
  try {
    const [first] = await udpRoundTrips(udpPort, [enc.encode("x")]);
    assertEquals(dec.decode(first), "1:x");
    const report = await server.reload(door(two.port, udpTwo.port));
    assertEquals(report.kept, ["tcp-door", "udp-door"]);
    // A new client's UDP flow goes to the new destination; TCP alike (both echo: the count says).
    const [second] = await udpRoundTrips(udpPort, [enc.encode("y")]);
    assertEquals(dec.decode(second), "2:y");
    assertEquals(await roundTrip(server.portOf("tcp-door"), "to two"), "to two");
    await finishTunnel(t, 3);
  } finally {
    t.close();
  }
});

/** Sends `packet` to 127.0.0.1:port, half-closes, reads until the server closes. */
async function sendRaw(port: number, packet: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(packet);
    await conn.closeWrite();
    while (await conn.read(new Uint8Array(1024)).catch(() => null) !== null) {
      // Until the server closes.
    }
  } finally {
    conn.close();
  }
}

Deno.test("reload: the VMess replay filter survives a reload, on the kept listener and on a rebound one", async () => {
  await using echo = new EchoServer();
  const log = new LogLines();
  await using server = await RunningInstance.start(vmessServer([ID_A]), log.logger());
  const packet = firstPacket(echo.port, parseUuid(ID_A)!);
  await sendRaw(server.port(), packet);
  await log.waitFor(/accepted tcp:127\.0\.0\.1:\d+ \[vmess-in -> \] email: a@test/);

  await server.reload(vmessServer([ID_A, ID_B]));
  await sendRaw(server.port(), packet);
  await log.waitFor(/rejected: replay/);

  // Rebound on another port (the same tag): still the same filter.
  const report = await server.reload(vmessServer([ID_A], freePort()));
  assertEquals(report.bound, ["vmess-in"]);
  await sendRaw(server.port(), packet);
  assertEquals(log.count(/rejected: replay/), 2, log.lines.join("\n"));
  assertEquals(log.count(/accepted tcp:/), 1, "the captured packet was served once only");
});

Deno.test("reload: a bad config is rejected with its JSON path; a port in use fails the reload and rolls back", async () => {
  await using echo = new EchoServer();
  const log = new LogLines();
  const fixed = freePort();
  const good = vmessServer([ID_A], fixed);
  const file = await writeTempConfig(good);
  const logger = log.logger();
  await using server = await RunningInstance.start(good, logger);
  await using a = await vmessClient(fixed, ID_A, echo.port);
  const setup = {
    instance: server.instance,
    logger,
    load: () => loadConfigFiles([file]),
    source: () => file,
  };
  try {
    const bad = vmessServer([ID_A]);
    (bad.inbounds[0].settings.clients[0] as { id: string }).id = "not-a-uuid";
    await Deno.writeTextFile(file, JSON.stringify(bad));
    await reloadOnce(setup);
    await log.waitFor(/\[Error\] reload: the config has 1 error; the running config stays/);
    await log.waitFor(/\[Error\] reload: config: .*inbounds\[0\]\.settings\.clients\[0\]\.id: /);
    assertEquals(server.port(), fixed);
    assertEquals(await roundTrip(a.port(), "still"), "still");

    // The vmess inbound changes its protocol on its port (so it lets go of it first), and a new
    // inbound wants a port someone holds: the reload fails and the vmess inbound listens again.
    using holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        ...good,
        inbounds: [
          { ...good.inbounds[0], protocol: "socks", settings: {} },
          { tag: "busy", listen: "127.0.0.1", port: holder.addr.port, protocol: "socks" },
        ],
      }),
    );
    await reloadOnce(setup);
    await log.waitFor(
      /\[Error\] reload: .*cannot listen on 127\.0\.0\.1:\d+.*the running config stays/,
    );
    assertEquals(server.instance.config.inbounds.length, 1, "the old config runs");
    assertEquals(await roundTrip(a.port(), "after rollback"), "after rollback");

    await Deno.writeTextFile(file, JSON.stringify(vmessServer([ID_A, ID_B], fixed)));
    await reloadOnce(setup);
    await log.waitFor(/config reloaded: inbounds kept vmess-in; bound none; stopped none/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("reload: a second reload waits for the first; a stop during a reload stops cleanly", async () => {
  const server = await RunningInstance.start(vmessServer([ID_A]));
  const first = server.reload(vmessServer([ID_A, ID_B]));
  const second = server.reload(vmessServer([ID_B]));
  const stopped = server.instance.stop(0);
  assertEquals((await first).kept, ["vmess-in"]);
  assertEquals((await second).kept, ["vmess-in"]);
  await stopped;
  assertEquals(server.instance.addresses(), []);
  await assertRejects(() => server.reload(vmessServer([ID_A])));
});

Deno.test("log files: reopen() after a move writes to a new file under the name; redirect() switches files and level", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = fileSink(`${dir}/error.log`);
    const logger = new Logger("info", first, null);
    logger.info("before rotation");
    await Deno.rename(`${dir}/error.log`, `${dir}/error.log.1`);
    logger.info("still in the moved file");
    assertEquals(logger.reopen(), []);
    logger.info("after reopen");
    const moved = await Deno.readTextFile(`${dir}/error.log.1`);
    const fresh = await Deno.readTextFile(`${dir}/error.log`);
    assert(moved.includes("before rotation") && moved.includes("still in the moved file"), moved);
    assert(!moved.includes("after reopen"), moved);
    assert(fresh.includes("after reopen") && !fresh.includes("before rotation"), fresh);

    // A directory that is gone: the sink keeps its file and says why.
    await Deno.remove(`${dir}/error.log`);
    await Deno.rename(dir, `${dir}-gone`);
    try {
      assertEquals(logger.reopen().length, 1);
      logger.info("kept writing");
    } finally {
      await Deno.rename(`${dir}-gone`, dir);
    }
    assert((await Deno.readTextFile(`${dir}/error.log`).catch(() => "")) === "");

    logger.redirect("warning", fileSink(`${dir}/other.log`), null);
    logger.info("dropped at warning level");
    logger.warning("to the other file");
    const other = await Deno.readTextFile(`${dir}/other.log`);
    assert(other.includes("to the other file") && !other.includes("dropped"), other);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reload plan: listeners kept by how they listen, state by tag, overlapping ports freed first", () => {
  const cfg = (inbounds: unknown[]) =>
    loadConfigObject({ inbounds, outbounds: [{ protocol: "freedom" }] }).config.inbounds;
  const ib = (tag: string | undefined, port: number, protocol = "socks", extra = {}) => ({
    ...(tag === undefined ? {} : { tag }),
    listen: "127.0.0.1",
    port,
    protocol,
    ...extra,
  });
  const before = cfg([ib("a", 1000), ib("b", 2000), ib(undefined, 3000), ib("d", 4000)]);
  const after = cfg([
    ib("a", 1000, "socks", { settings: { auth: "noauth", udp: true } }), // settings only: kept
    ib("b", 2000, "http"), // protocol changed on its port: rebinds after b lets go
    ib(undefined, 3001), // untagged, moved: its state goes with its place
    ib("e", 5000), // new
  ]);
  const plan = planInbounds(before, after);
  assertEquals(plan.keep, [[0, 0]]);
  assertEquals(plan.bind, [1, 2, 3]);
  assertEquals(plan.retire, [1, 2, 3]);
  assertEquals(plan.retireFirst, [1]);
  assertEquals(plan.inherit, [[0, 0], [1, 1], [2, 2]]);
  assertEquals(canonicalJson({ b: 1, a: [1, { d: undefined, c: 2 }] }), '{"a":[1,{"c":2}],"b":1}');
});

Deno.test("reload: a changed stats.listen rebinds the metrics endpoint, ntp added and removed, a new log section applies", async () => {
  await using echo = new EchoServer();
  await using sntp = new SntpServer({ clock: () => Date.now() + 300_000 });
  const dir = await Deno.makeTempDir();
  const log = new LogLines();
  const logger = log.logger();
  const config = (extra: Record<string, unknown>) => ({
    log: { loglevel: "info" },
    inbounds: [{ tag: "socks-in", listen: "127.0.0.1", port: 0, protocol: "socks" }],
    outbounds: [{ protocol: "freedom" }],
    stats: { listen: "127.0.0.1:0" },
    ...extra,
  });
  const scrape = async (address: string) => {
    const res = await fetch(address.replace(/^http /, "http://"));
    return await res.text();
  };
  await using server = await RunningInstance.start(config({}), logger);
  try {
    const first = server.instance.metricsAddress()!;
    const held = await openTunnel(await socksConnect(server.portOf("socks-in"), echo.port), "x");
    try {
      await server.reload(config({
        stats: { listen: `127.0.0.1:${freePort()}` },
        ntp: { enabled: true, server: "127.0.0.1", server_port: sntp.port, interval: "1h" },
      }));
      const second = server.instance.metricsAddress()!;
      assert(second !== first, `${first} then ${second}`);
      // The tunnel opened before the reload is counted on the kept listener.
      assertStringIncludes(
        await scrape(second),
        'denoray_inbound_connections{inbound="socks-in"} 1',
      );
    } finally {
      held.close();
    }
    await assertRejects(() => scrape(first));
    await log.waitFor(/ntp: clock offset \+(299|300)\.\d{3} s from 127\.0\.0\.1:/);
    assert(Math.abs(server.instance.clockOffsetMs - 300_000) < 1_000);

    // No ntp, no stats, and the logs to files at warning from now on.
    const file = `${dir}/config.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        ...config({}),
        stats: undefined,
        log: { loglevel: "warning", error: `${dir}/error.log`, access: `${dir}/access.log` },
      }),
    );
    await reloadOnce({
      instance: server.instance,
      logger,
      load: () => loadConfigFiles([file]),
      source: () => file,
    });
    await log.waitFor(/reload: the log section changed/);
    assertEquals(server.instance.clockOffsetMs, 0);
    assertEquals(server.instance.metricsAddress(), undefined);
    assertEquals(server.instance.stats, undefined);
    assert(!logger.enabled("info"), "warning level now");
    const c2 = await socksConnect(server.portOf("socks-in"), echo.port);
    try {
      assertEquals(dec.decode(await sendAndReceive(c2, enc.encode("logged"))), "logged");
    } finally {
      c2.close();
    }
    assertStringIncludes(await Deno.readTextFile(`${dir}/error.log`), "config reloaded: ");
    assertStringIncludes(await Deno.readTextFile(`${dir}/access.log`), "[socks-in -> ]");
    assertEquals(log.count(/config reloaded: /), 0, "no longer written to the old sink");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reload: a config source that cannot be listed any more is a refused reload, not a crash", async () => {
  const log = new LogLines();
  const logger = log.logger();
  await using server = await RunningInstance.start(vmessServer([ID_A]), logger);
  let loads = 0;
  await reloadOnce({
    instance: server.instance,
    logger,
    load: () => {
      loads++;
      return Promise.resolve(loadConfigObject(vmessServer([ID_A])));
    },
    source: () => {
      throw new Error("confdir /etc/denoray/conf.d: No such file or directory");
    },
  });
  assertEquals(loads, 0);
  assertEquals(
    log.count(
      /reload: confdir \/etc\/denoray\/conf\.d: No such file or directory; the running config stays/,
    ),
    1,
  );
});

Deno.test({
  name:
    "reload: a SIGHUP during a reload makes one more after it; stop() waits for the one under way",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const log = new LogLines();
    const logger = log.logger();
    const config = vmessServer([ID_A]);
    await using server = await RunningInstance.start(config, logger);
    // Each load waits until the test lets it go, so signals arrive while a reload is under way.
    const loads: PromiseWithResolvers<void>[] = [];
    const called: PromiseWithResolvers<void>[] = [Promise.withResolvers(), Promise.withResolvers()];
    const reloads = listenForReload({
      instance: server.instance,
      logger,
      load: async () => {
        const gate = Promise.withResolvers<void>();
        loads.push(gate);
        called[loads.length - 1]?.resolve();
        await gate.promise;
        return loadConfigObject(config);
      },
      source: () => "(test)",
    });
    let stopped = false;
    try {
      Deno.kill(Deno.pid, "SIGHUP");
      await called[0].promise;
      Deno.kill(Deno.pid, "SIGHUP");
      await log.waitFor(/SIGHUP during a reload: one more reload after it/);
      loads[0].resolve();
      await called[1].promise;
      const stopping = reloads.stop().then(() => stopped = true);
      await Promise.resolve();
      assertEquals(stopped, false, "stop() waits for the reload under way");
      loads[1].resolve();
      await stopping;
      assertEquals(loads.length, 2);
      assertEquals(log.count(/config reloaded: /), 2);
    } finally {
      for (const l of loads) l.resolve();
      await reloads.stop();
    }
  },
});

Deno.test("reload: outbounds and routing changed: new connections take the new route, an open tunnel stays on the old outbound", async () => {
  await using echo = new EchoServer();
  const log = new LogLines();
  const config = (outbounds: unknown[], rules: unknown[] = []) => ({
    inbounds: [{ tag: "socks-in", listen: "127.0.0.1", port: 0, protocol: "socks" }],
    outbounds,
    routing: { rules },
  });
  await using server = await RunningInstance.start(
    config([{ tag: "direct", protocol: "freedom" }]),
    log.logger(),
  );
  const port = server.portOf("socks-in");
  const open = await openTunnel(await socksConnect(port, echo.port), "old route");
  try {
    await server.reload(config(
      [{ tag: "block", protocol: "blackhole" }, { tag: "direct2", protocol: "freedom" }],
      [{ type: "field", port: "1-65535", network: "tcp", outboundTag: "block" }],
    ));
    const c = await socksConnect(port, echo.port);
    try {
      assertEquals((await sendAndReceive(c, enc.encode("blocked"))).length, 0);
    } finally {
      c.close();
    }
    await log.waitFor(/accepted tcp:127\.0\.0\.1:\d+ \[socks-in -> block\]/);
    await finishTunnel(open, 5);
    assertEquals(log.count(/\[socks-in -> direct\]/), 1, "the tunnel's one access line, before");
  } finally {
    open.close();
  }
});

Deno.test("reload: a dynamic-port VMess inbound keeps its current ports; a user added works on them", async () => {
  await using echo = new EchoServer();
  const base = freePort();
  const config = (ids: string[]) => ({
    inbounds: [{
      tag: "dyn",
      listen: "127.0.0.1",
      port: `${base}-${base + 9}`,
      protocol: "vmess",
      allocate: { strategy: "random", concurrency: 2, refresh: 5 },
      settings: { clients: ids.map((id) => ({ id })) },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  await using server = await RunningInstance.start(config([ID_A]));
  const ports = server.instance.addresses();
  assert(ports.length > 0, "some port of the range was bound");
  const report = await server.reload(config([ID_A, ID_B]));
  assertEquals(report.kept, ["dyn"]);
  assertEquals(server.instance.addresses(), ports);
  await using b = await vmessClient(server.port(), ID_B, echo.port);
  assertEquals(await roundTrip(b.port(), "b on a dynamic port"), "b on a dynamic port");
});
