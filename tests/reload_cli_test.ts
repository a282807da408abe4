/**
 * SIGHUP through the real `run` command, its permissions scoped as the systemd unit's: the config
 * read again from the same -c file and a -confdir listed anew, a user added without a restart, the access log moved away (as logrotate
 * does) and reopened, a bad config rejected with its JSON path, then a clean stop.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { Spawned } from "./helpers/process.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { EchoServer, sendAndReceive } from "./helpers/net.ts";

const ID_A = "b831381d-6324-4d53-ad4f-8cda48b30811";
const ID_B = "27848739-7e62-4138-9fd3-698a51b6f2fb";

function vmessIn(clients: { id: string; email: string }[]) {
  return {
    inbounds: [{
      tag: "vmess-in",
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients },
    }],
  };
}

/** A client in this process: a dokodemo-door to `target` through VMess user `id`. */
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

async function roundTrip(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    return new TextDecoder().decode(await sendAndReceive(conn, new TextEncoder().encode(text)));
  } catch {
    return "";
  } finally {
    conn.close();
  }
}

Deno.test("run + SIGHUP: a user added from a new -confdir file, the access log reopened, a bad config rejected", async () => {
  await using echo = new EchoServer();
  const dir = await Deno.makeTempDir();
  const confdir = `${dir}/etc/conf.d`;
  await Deno.mkdir(confdir, { recursive: true });
  await Deno.mkdir(`${dir}/log`);
  const access = `${dir}/log/access.log`;
  const write = (path: string, value: unknown) => Deno.writeTextFile(path, JSON.stringify(value));
  await write(`${dir}/etc/base.json`, {
    log: { loglevel: "info", access },
    outbounds: [{ protocol: "freedom" }],
    // A refused client is drained at most 1 s: it bounds how long the test waits.
    policy: { levels: { "0": { handshake: 1 } } },
  });
  await write(`${confdir}/10-in.json`, vmessIn([{ id: ID_A, email: "a@test" }]));
  try {
    // Permissions scoped as the systemd unit scopes them: read the config, write the logs.
    await using p = new Spawned(Deno.execPath(), [
      "run",
      "--no-prompt",
      "--unstable-net",
      "--allow-net",
      "--allow-ffi",
      "--allow-env",
      `--allow-read=${dir}/etc`,
      `--allow-write=${dir}/log`,
      "main.ts",
      "run",
      "-c",
      `${dir}/etc/base.json`,
      "-confdir",
      confdir,
    ]);
    const [, port] = await p.waitFor(/vmess-in \(vmess\) listening on tcp 127\.0\.0\.1:(\d+)/);
    await p.waitFor(/denoray started/);
    await using a = await vmessClient(Number(port), ID_A, echo.port);
    await using b = await vmessClient(Number(port), ID_B, echo.port);
    assertEquals(await roundTrip(a.port(), "a"), "a");
    assertEquals(await roundTrip(b.port(), "b"), "", "b is not a user yet");
    await p.waitFor(/rejected: bad-auth/);

    // A new file in the confdir replaces the inbound (V2Ray's merge by tag); logrotate moves
    // the access log away, then signals.
    await write(
      `${confdir}/20-users.json`,
      vmessIn([{ id: ID_A, email: "a@test" }, { id: ID_B, email: "b@test" }]),
    );
    await Deno.rename(access, `${access}.1`);
    p.child.kill("SIGHUP");
    await p.waitFor(/SIGHUP: log files reopened; reloading the config from .*20-users\.json/);
    await p.waitFor(/config reloaded: inbounds kept vmess-in; bound none; stopped none/);
    assertEquals(await roundTrip(b.port(), "b now"), "b now");
    const rotated = await Deno.readTextFile(`${access}.1`);
    const fresh = await Deno.readTextFile(access);
    assertStringIncludes(rotated, "email: a@test");
    assert(!rotated.includes("email: b@test"), rotated);
    assertStringIncludes(fresh, "email: b@test");

    // A bad id: the reload is refused, the log names the path, and b is still a user.
    await write(
      `${confdir}/20-users.json`,
      vmessIn([{ id: ID_A, email: "a@test" }, { id: "not-a-uuid", email: "b@test" }]),
    );
    p.child.kill("SIGHUP");
    await p.waitFor(/\[Error\] reload: config: .*inbounds\[0\]\.settings\.clients\[1\]\.id/);
    await p.waitFor(/\[Error\] reload: the config has 1 error; the running config stays/);
    assertEquals(await roundTrip(b.port(), "b kept"), "b kept");

    // Signals during a reload: a second SIGHUP is coalesced, SIGTERM still stops cleanly.
    p.child.kill("SIGHUP");
    p.child.kill("SIGHUP");
    p.child.kill("SIGTERM");
    const r = await p.done();
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stderr, "denoray stopped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run -c stdin: + SIGHUP: standard input is not read again; what it gave at start is reloaded", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        ...vmessIn([{ id: ID_A, email: "a@test" }]),
        outbounds: [{ protocol: "freedom" }],
        log: { loglevel: "info" },
      }),
    );
    // Standard input is the file: read to its end at start, it would give nothing a second time.
    await using p = new Spawned("sh", [
      "-c",
      `exec "$0" run -A --unstable-net main.ts run -c stdin: < "$1"`,
      Deno.execPath(),
      file,
    ]);
    await p.waitFor(/denoray started with stdin:/);
    p.child.kill("SIGHUP");
    await p.waitFor(/reload: stdin: cannot be read again: what it gave at start is used again/);
    await p.waitFor(/config reloaded: inbounds kept vmess-in/);
    p.child.kill("SIGTERM");
    assertEquals((await p.done()).code, 0);
  } finally {
    await Deno.remove(file);
  }
});
