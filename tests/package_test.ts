/**
 * `deno task package`: the release tarball unpacks into an empty directory and runs there as an
 * unprivileged user with no HOME, both through its launcher and through the systemd unit's
 * command line (whose permissions are scoped to the config and log directories), moving VMess
 * traffic, syncing its clock over UDP, and reloading on SIGHUP; then, as "Deploy on a VPS" ends,
 * `denoray link` prints the config's share link, `link --decode` turns it into a client config,
 * and a real v2ray client on that config moves traffic through the release.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { requirePeer, requireRoot } from "./helpers/peers.ts";
import { runToEnd, type Spawned } from "./helpers/process.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { EchoServer, freePort, sendAndReceive } from "./helpers/net.ts";
import { socksConnect } from "./helpers/socks.ts";
import { V2Ray } from "./helpers/v2ray.ts";
import { SntpServer } from "./helpers/sntp_server.ts";
import { NOBODY, relocateUnit, spawnAsNobody, unitDirectives } from "./helpers/release.ts";
import { parseJsonc } from "../lib/config/mod.ts";
import { createHash } from "node:crypto";

const ID = "0b6ad5b8-9cb5-4ef2-9a8b-4c2e0d3e5f61";

const sha256 = async (path: string) =>
  createHash("sha256").update(await Deno.readFile(path)).digest("hex");

/** The example server config, made to run here: our id, loopback, port 0, a local NTP server. */
async function exampleConfig(dir: string, sntpPort: number, logDir: string): Promise<unknown> {
  const c = await parseJsonc(await Deno.readTextFile(`${dir}/config.example.json`), "example") as {
    log: Record<string, string>;
    inbounds: { listen: string; port: number; settings: { clients: { id: string }[] } }[];
    routing?: unknown;
    ntp: { server: string; server_port: number };
  };
  c.log = { loglevel: "info", access: `${logDir}/access.log` };
  c.inbounds[0].listen = "127.0.0.1";
  c.inbounds[0].port = 0;
  c.inbounds[0].settings.clients[0].id = ID;
  // The example keeps clients off private addresses; the echo target here is on loopback.
  delete c.routing;
  c.ntp.server = "127.0.0.1";
  c.ntp.server_port = sntpPort;
  return c;
}

/** A VMess client in this process sends through the server at `port` to `echo` and back. */
async function vmessEcho(port: number, echo: number, text: string): Promise<string> {
  await using client = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: echo },
    }],
    outbounds: [{
      protocol: "vmess",
      settings: { vnext: [{ address: "127.0.0.1", port, users: [{ id: ID }] }] },
    }],
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
  try {
    return new TextDecoder().decode(await sendAndReceive(conn, new TextEncoder().encode(text)));
  } finally {
    conn.close();
  }
}

/** Waits for the server to listen and sync, moves traffic, sends SIGHUP, stops it; its stderr. */
async function exercise(p: Spawned, echo: number): Promise<string> {
  const [, port] = await p.waitFor(/vmess-in \(vmess\) listening on tcp 127\.0\.0\.1:(\d+)/);
  await p.waitFor(/ntp: clock offset [+-]\d+\.\d{3} s from 127\.0\.0\.1:\d+/);
  assertEquals(await vmessEcho(Number(port), echo, "through the release"), "through the release");
  p.child.kill("SIGHUP");
  await p.waitFor(/config reloaded: /);
  assertEquals(await vmessEcho(Number(port), echo, "after SIGHUP"), "after SIGHUP");
  p.child.kill("SIGTERM");
  const r = await p.done();
  assertEquals(r.code, 0, r.stderr);
  assert(!r.stderr.includes("\x1b"), "no colour codes in piped output");
  return r.stderr;
}

Deno.test({
  name: "package: the release runs from an empty directory as nobody, offline, without HOME",
  ignore: !requireRoot() || !requirePeer("setpriv", "v2ray"),
  fn: async () => {
    const work = await Deno.makeTempDir({ prefix: "denoray-release-" });
    try {
      // nobody must be able to reach what is unpacked here.
      await Deno.chmod(work, 0o755);
      const built = await runToEnd(Deno.execPath(), ["task", "package", "--out", `${work}/dist`]);
      assertEquals(built.code, 0, built.stderr);
      const [dirPath, tarball] = built.stdout.trim().split("\n");
      const name = dirPath.split("/").pop()!;
      assertEquals(
        name,
        `denoray-${
          (await import("../deno.json", { with: { type: "json" } })).default.version
        }-linux-x64`,
      );
      assertEquals(
        await Deno.readTextFile(`${tarball}.sha256`),
        `${await sha256(tarball)}  ${name}.tar.gz\n`,
      );

      // Unpack into an empty directory; every file is listed in SHA256SUMS with its hash.
      const opt = `${work}/opt`;
      await Deno.mkdir(opt, { mode: 0o755 });
      const tar = await runToEnd("tar", ["-xzf", tarball, "-C", opt]);
      assertEquals(tar.code, 0, tar.stderr);
      const dir = `${opt}/${name}`;
      const sums = (await Deno.readTextFile(`${dir}/SHA256SUMS`)).trim().split("\n");
      assertEquals(sums.map((l) => l.slice(66)), [
        "bin/LICENSE.deno",
        "bin/deno",
        "config.example.json",
        "denoray",
        "denoray.service",
        "lib/denoray.js",
      ]);
      for (const line of sums) {
        assertEquals(await sha256(`${dir}/${line.slice(66)}`), line.slice(0, 64), line);
      }
      // The runtime is npm's Deno of the pinned version, and the bundle runs on it alone.
      const version = await runToEnd(`${dir}/bin/deno`, ["--version"]);
      assertStringIncludes(version.stdout, `deno ${Deno.version.deno} `);

      await using echo = new EchoServer();
      await using sntp = new SntpServer();
      const etc = `${work}/etc`, log = `${work}/log`, state = `${work}/state`;
      await Deno.mkdir(etc, { mode: 0o755 });
      await Deno.mkdir(log, { mode: 0o755 });
      await Deno.chown(log, NOBODY.uid, NOBODY.gid); // as systemd's LogsDirectory=
      // As StateDirectory= with DynamicUser=: a link to the service's own private directory.
      await Deno.mkdir(`${work}/private/state`, { recursive: true, mode: 0o755 });
      await Deno.chown(`${work}/private/state`, NOBODY.uid, NOBODY.gid);
      await Deno.symlink(`${work}/private/state`, state);
      await Deno.writeTextFile(
        `${etc}/config.json`,
        JSON.stringify(await exampleConfig(dir, sntp.port, log)),
        { mode: 0o644 },
      );

      // The example itself only needs an id: `denoray test` says so, then passes with one.
      const untouched = spawnAsNobody([`${dir}/denoray`, "test", "-c", "config.example.json"], dir);
      const bad = await untouched.done();
      assertEquals(bad.code, 1);
      assertStringIncludes(bad.stderr, "inbounds[0].settings.clients[0].id: not a UUID");
      const tested = await spawnAsNobody(
        [`${dir}/denoray`, "test", "-c", `${etc}/config.json`],
        work,
      )
        .done();
      assertEquals([tested.code, tested.stdout.trim()], [0, "Configuration OK."], tested.stderr);

      // 1. The launcher.
      {
        await using p = spawnAsNobody([`${dir}/denoray`, "run", "-c", `${etc}/config.json`], work);
        const stderr = await exercise(p, echo.port);
        assertStringIncludes(stderr, `[Info] denoray `);
      }
      // 2. The systemd unit's own command line and environment, paths moved to this directory.
      {
        const unit = relocateUnit(await Deno.readTextFile(`${dir}/denoray.service`), {
          opt: dir,
          etc,
          log,
          state,
        });
        const d = unitDirectives(unit);
        const argv = d.find(([k]) => k === "ExecStart")![1].split(/\s+/);
        const env = Object.fromEntries(
          d.find(([k]) => k === "Environment")![1].split(/\s+/)
            .map((kv) => kv.replace("%C", `${work}/cache`).split("=")),
        );
        // systemd tells the service where its StateDirectory= is.
        await using p = spawnAsNobody(argv, "/", { ...env, STATE_DIRECTORY: state });
        await exercise(p, echo.port);
        // The replay filters were saved at stop, through the scoped permissions.
        const saved = JSON.parse(await Deno.readTextFile(`${state}/replay-state.json`));
        assert(typeof saved === "object" && saved !== null, "a replay state file");
      }
      // 3. "Deploy on a VPS" to its end: the share link the release prints for the config, turned
      //    into a client config by `link --decode`, carries a real v2ray client's traffic.
      {
        await using p = spawnAsNobody([`${dir}/denoray`, "run", "-c", `${etc}/config.json`], work);
        const [, port] = await p.waitFor(/vmess-in \(vmess\) listening on tcp 127\.0\.0\.1:(\d+)/);
        const linked = await spawnAsNobody([
          `${dir}/denoray`,
          "link",
          "-c",
          `${etc}/config.json`,
          "--host",
          "127.0.0.1",
          "--port",
          port,
        ], work).done();
        assertEquals(linked.code, 0, linked.stderr);
        const link = linked.stdout.split("\n").find((l) => l.startsWith("vmess://"))!;
        assert(linked.stdout.includes("█"), "a QR code under the link");
        const socksPort = freePort();
        const decoded = await spawnAsNobody([
          `${dir}/denoray`,
          "link",
          "--decode",
          link,
          "--socks-port",
          String(socksPort),
        ], work).done();
        assertEquals(decoded.code, 0, decoded.stderr);
        const client = JSON.parse(decoded.stdout) as { inbounds: unknown[] };
        client.inbounds = client.inbounds.slice(0, 1); // the SOCKS inbound is enough here
        await using _v2ray = await V2Ray.start(client, [socksPort]);
        const conn = await socksConnect(socksPort, echo.port);
        try {
          const data = new TextEncoder().encode("from a v2ray client, by the link");
          assertEquals(
            new TextDecoder().decode(await sendAndReceive(conn, data)),
            "from a v2ray client, by the link",
          );
        } finally {
          conn.close();
        }
      }
      const access = await Deno.readTextFile(`${log}/access.log`);
      assertEquals(
        access.match(/ accepted tcp:127\.0\.0\.1:\d+ \[vmess-in -> direct\]/g)?.length,
        5,
      );
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
