/**
 * End to end through real sockets and a real process: freedom's domainStrategy, routing's
 * IPIfNonMatch, and log.access / log.error written to files.
 *
 * The domain used is "localhost". Deno.resolveDns answers it with 127.0.0.1 (A) and ::1 (AAAA)
 * itself (RFC 6761), whatever /etc/hosts says: on this machine /etc/hosts maps localhost to
 * 127.0.0.1 only, so only the system resolver (freedom AsIs) depends on that file.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { RunningInstance } from "./helpers/instance.ts";
import {
  EchoServer,
  GreetingServer,
  readGreeting,
  sendAndReceive,
  UdpEchoServer,
  udpRoundTrips,
} from "./helpers/net.ts";
import { spawnDenoray } from "./helpers/process.ts";

const ID = "1f0a3d9e-7b2c-4e55-9a1d-3c8e0b6f2a47";

/** Why the IPv6 loopback is unusable here, or null when a listener can bind ::1. */
function noIPv6Loopback(): string | null {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return null;
  } catch (e) {
    return `this machine has no ::1 (${(e as Error).message})`;
  }
}

/** Two servers on the same port, labelled "v4" on 127.0.0.1 and "v6" on ::1. */
async function onBothLoopbacks<T extends AsyncDisposable & { readonly port: number }>(
  make: (label: string, hostname: string, port: number) => T,
): Promise<{ v4: T; v6: T }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const v6 = make("v6", "::1", 0);
    try {
      return { v4: make("v4", "127.0.0.1", v6.port), v6 };
    } catch (e) {
      await v6[Symbol.asyncDispose]();
      // The OS gave ::1 a port some IPv4 socket holds: try another one.
      if (!(e instanceof Deno.errors.AddrInUse)) throw e;
    }
  }
  throw new Error("no port was free on both 127.0.0.1 and ::1");
}

const STRATEGIES = ["AsIs", "UseIP", "UseIPv4", "UseIPv6"] as const;
const ipv6Missing = noIPv6Loopback();

/**
 * One dokodemo-door per freedom domainStrategy, each to localhost:port over `network` and routed
 * by its inbound tag to a freedom outbound with that strategy.
 */
function strategyConfig(strategies: readonly string[], port: number, network: "tcp" | "udp") {
  return {
    inbounds: strategies.map((s) => ({
      tag: `in-${s}`,
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "localhost", port, network },
    })),
    outbounds: strategies.map((s) => ({
      tag: `out-${s}`,
      protocol: "freedom",
      settings: { domainStrategy: s },
    })),
    routing: {
      rules: strategies.map((s) => ({
        type: "field",
        inboundTag: [`in-${s}`],
        outboundTag: `out-${s}`,
      })),
    },
  };
}

Deno.test({
  name: "engine: freedom domainStrategy UseIPv4 / UseIPv6 pick the address family of localhost" +
    (ipv6Missing ? ` (ignored: ${ipv6Missing})` : ""),
  ignore: ipv6Missing !== null,
  async fn() {
    // The resolver the strategies use must know both loopbacks, or the rest proves nothing.
    assertEquals(await Deno.resolveDns("localhost", "A"), ["127.0.0.1"]);
    assertEquals(await Deno.resolveDns("localhost", "AAAA"), ["::1"]);
    const { v4, v6 } = await onBothLoopbacks((label, host, port) =>
      new GreetingServer(label, host, port)
    );
    await using _v4 = v4;
    let v6Open = true;
    try {
      // One dokodemo-door per strategy, each to localhost:port through its own freedom outbound.
      await using inst = await RunningInstance.start(strategyConfig(STRATEGIES, v4.port, "tcp"));
      const via = (s: (typeof STRATEGIES)[number]) => readGreeting(inst.portOf(`in-${s}`));
      assertEquals(await via("UseIPv4"), "v4", "UseIPv4 dials 127.0.0.1");
      assertEquals(await via("UseIPv6"), "v6", "UseIPv6 dials ::1");
      // UseIP takes either family; AsIs leaves "localhost" to the system resolver (/etc/hosts).
      assert(["v4", "v6"].includes(await via("UseIP")), "UseIP reaches a loopback");
      assert(["v4", "v6"].includes(await via("AsIs")), "AsIs reaches a loopback");
      // With nothing left on ::1, UseIPv6 must fail (never fall back to IPv4); UseIPv4 still works.
      await v6[Symbol.asyncDispose]();
      v6Open = false;
      assertEquals(await via("UseIPv6"), "", "UseIPv6 with no IPv6 listener is closed unanswered");
      assertEquals(await via("UseIPv4"), "v4");
    } finally {
      if (v6Open) await v6[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name: "engine: freedom domainStrategy UseIPv4 / UseIPv6 also pick the family of UDP datagrams" +
    (ipv6Missing ? ` (ignored: ${ipv6Missing})` : ""),
  ignore: ipv6Missing !== null,
  async fn() {
    const enc = new TextEncoder();
    const { v4, v6 } = await onBothLoopbacks((label, hostname, port) =>
      new UdpEchoServer({ hostname, port, prefix: enc.encode(`${label}:`) })
    );
    await using _v4 = v4;
    await using _v6 = v6;
    const used = ["UseIP", "UseIPv4", "UseIPv6"] as const;
    await using inst = await RunningInstance.start(strategyConfig(used, v4.port, "udp"));
    const via = async (s: (typeof used)[number]) => {
      const [reply] = await udpRoundTrips(inst.portOf(`in-${s}`), [enc.encode("ping")]);
      return new TextDecoder().decode(reply);
    };
    assertEquals(await via("UseIPv4"), "v4:ping", "UseIPv4 sends to 127.0.0.1");
    assertEquals(await via("UseIPv6"), "v6:ping", "UseIPv6 sends to ::1");
    assert(["v4:ping", "v6:ping"].includes(await via("UseIP")), "UseIP reaches a loopback");
  },
});

/** An instance whose dokodemo-door sends to localhost:a.port; ip rules may reroute to b. */
function routingConfig(
  domainStrategy: "AsIs" | "IPIfNonMatch",
  rules: Record<string, unknown>[],
  a: GreetingServer,
  b: GreetingServer,
) {
  return {
    inbounds: [{
      tag: "door",
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "localhost", port: a.port },
    }],
    outbounds: [
      // The default; UseIPv4 so that reaching `a` never depends on how /etc/hosts lists localhost.
      { tag: "direct", protocol: "freedom", settings: { domainStrategy: "UseIPv4" } },
      { tag: "to-b", protocol: "freedom", settings: { redirect: `127.0.0.1:${b.port}` } },
      { tag: "block", protocol: "blackhole" },
    ],
    routing: { domainStrategy, rules: rules.map((r) => ({ type: "field", ...r })) },
  };
}

Deno.test("engine: routing IPIfNonMatch resolves an unmatched domain for ip rules; AsIs does not", async () => {
  await using a = new GreetingServer("a");
  await using b = new GreetingServer("b");
  const loopbackToB = { ip: ["127.0.0.0/8"], outboundTag: "to-b" };
  const cases: {
    why: string;
    strategy: "AsIs" | "IPIfNonMatch";
    rules: Record<string, unknown>[];
    want: string;
  }[] = [
    {
      why: "IPIfNonMatch: localhost → 127.0.0.1 matches the ip rule",
      strategy: "IPIfNonMatch",
      rules: [loopbackToB],
      want: "b",
    },
    {
      why: "AsIs: a domain never matches an ip rule",
      strategy: "AsIs",
      rules: [loopbackToB],
      want: "a",
    },
    {
      why: "IPIfNonMatch: a matching domain rule wins, even listed after the ip rule",
      strategy: "IPIfNonMatch",
      rules: [loopbackToB, { domain: ["full:localhost"], outboundTag: "direct" }],
      want: "a",
    },
    {
      why: "IPIfNonMatch: resolved addresses outside the ip rule go to the default",
      strategy: "IPIfNonMatch",
      rules: [{ ip: ["10.0.0.0/8", "::2/128"], outboundTag: "to-b" }],
      want: "a",
    },
    {
      why: "IPIfNonMatch: the resolved address can route to a blackhole",
      strategy: "IPIfNonMatch",
      rules: [{ ip: ["127.0.0.1/32"], outboundTag: "block" }],
      want: "",
    },
  ];
  for (const c of cases) {
    await using inst = await RunningInstance.start(routingConfig(c.strategy, c.rules, a, b));
    assertEquals(await readGreeting(inst.portOf("door")), c.want, c.why);
  }
});

/** Polls `path` until a line matches `re` (or the process ends first); returns the match. */
async function waitForLogLine(
  path: string,
  re: RegExp,
  exited: Promise<unknown>,
): Promise<RegExpMatchArray> {
  let ended = false;
  exited.then(() => ended = true);
  for (let i = 0; i < 1200; i++) {
    const text = await Deno.readTextFile(path).catch(() => "");
    const m = text.match(re);
    if (m) return m;
    if (ended) throw new Error(`denoray exited before ${re} appeared in ${path}:\n${text}`);
    // Not there yet: yield through a short timer and read again.
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${re} never appeared in ${path}`);
}

const STAMP = String.raw`\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Runs `denoray run` with both logs in files at `loglevel`, moves a plain, a VMess (with a user)
 * and a failing connection through it, stops it, and returns both files and its stderr.
 */
async function runWithLogFiles(loglevel: "warning" | "debug") {
  await using echo = new EchoServer();
  const dead = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = l.addr.port;
    l.close();
    return p;
  })();
  const dir = await Deno.makeTempDir({ prefix: "denoray-log-" });
  try {
    const access = `${dir}/access.log`;
    const error = `${dir}/error.log`;
    const configPath = `${dir}/config.json`;
    const door = (tag: string, port: number) => ({
      tag,
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port },
    });
    await Deno.writeTextFile(
      configPath,
      JSON.stringify({
        log: { access, error, loglevel },
        inbounds: [
          door("door-in", echo.port),
          door("dead-in", dead),
          {
            tag: "vmess-in",
            listen: "127.0.0.1",
            port: 0,
            protocol: "vmess",
            settings: { clients: [{ id: ID, email: "log@test" }] },
          },
        ],
        outbounds: [{ tag: "direct", protocol: "freedom" }],
      }),
    );
    await using proc = spawnDenoray(["run", "-c", configPath]);
    // Port 0 everywhere: the listen lines (warning level, so in both runs) name the ports.
    const exited = proc.child.status;
    await waitForLogLine(error, /denoray started/, exited);
    const text = await Deno.readTextFile(error);
    const portOf = (tag: string) => {
      const m = text.match(
        new RegExp(`inbound ${tag} \\(\\S+\\) listening on tcp 127\\.0\\.0\\.1:(\\d+)`),
      );
      assert(m, `no listen line for ${tag} in:\n${text}`);
      return Number(m[1]);
    };

    // A plain connection: the access line names its source port, target and route.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: portOf("door-in") });
    const source = conn.localAddr.port;
    try {
      assertEquals(
        new TextDecoder().decode(await sendAndReceive(conn, new TextEncoder().encode("ping"))),
        "ping",
      );
    } finally {
      conn.close();
    }

    // A VMess connection from an in-process client: the access line carries the user's email.
    {
      await using client = await RunningInstance.start({
        inbounds: [door("c-in", echo.port)],
        outbounds: [{
          protocol: "vmess",
          settings: {
            vnext: [{ address: "127.0.0.1", port: portOf("vmess-in"), users: [{ id: ID }] }],
          },
        }],
      });
      const c = await Deno.connect({ hostname: "127.0.0.1", port: client.portOf("c-in") });
      try {
        assertEquals(
          new TextDecoder().decode(await sendAndReceive(c, new TextEncoder().encode("vm"))),
          "vm",
        );
      } finally {
        c.close();
      }
    }

    // A connection whose dial fails: logged at info level before the client is closed.
    assertEquals(await readGreeting(portOf("dead-in")), "");

    proc.child.kill("SIGTERM");
    const r = await proc.done();
    assertEquals(r.code, 0, r.stderr);
    return {
      access: await Deno.readTextFile(access),
      error: await Deno.readTextFile(error),
      stderr: r.stderr,
      source,
      echoPort: echo.port,
      dead,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The checks both log levels share: access lines in V2Ray's form, nothing on stderr. */
function checkAccessLog(run: Awaited<ReturnType<typeof runWithLogFiles>>): void {
  const lines = run.access.trimEnd().split("\n");
  const target = `tcp:127.0.0.1:${run.echoPort}`;
  const plain = new RegExp(
    `^${STAMP} ${
      escape(`from tcp:127.0.0.1:${run.source} accepted ${target} [door-in -> direct]`)
    }$`,
  );
  assert(lines.some((l) => plain.test(l)), `no ${plain} in access log:\n${run.access}`);
  const vmess = new RegExp(
    `^${STAMP} from tcp:127\\.0\\.0\\.1:\\d+ accepted ${
      escape(target)
    } \\[vmess-in -> direct\\] email: log@test$`,
  );
  assert(lines.some((l) => vmess.test(l)), `no ${vmess} in access log:\n${run.access}`);
  assertStringIncludes(run.access, `accepted tcp:127.0.0.1:${run.dead} [dead-in -> direct]`);
  // Access lines stay out of the error log, and both logs stay off stderr.
  assert(!run.error.includes(" accepted "), run.error);
  assert(!run.stderr.includes(" accepted ") && !run.stderr.includes("listening on"), run.stderr);
}

Deno.test("engine: log files: access lines in V2Ray's form; loglevel warning keeps info out", async () => {
  const run = await runWithLogFiles("warning");
  checkAccessLog(run);
  assertStringIncludes(run.error, "[Warning] inbound vmess-in (vmess) listening on tcp 127.0.0.1:");
  assertStringIncludes(run.error, "[Warning] denoray started");
  assertStringIncludes(run.error, "[Warning] denoray stopped");
  assert(!/\[(Info|Debug)\]/.test(run.error), `below warning in the error log:\n${run.error}`);
});

Deno.test("engine: log files: loglevel debug writes the info lines warning filters out", async () => {
  const run = await runWithLogFiles("debug");
  checkAccessLog(run);
  assertStringIncludes(run.error, "[Warning] denoray started");
  const dialFailed = new RegExp(
    `^${STAMP} \\[Info\\] \\[\\d+\\] tcp:127\\.0\\.0\\.1:${run.dead}: dial failed: `,
    "m",
  );
  assert(dialFailed.test(run.error), `no ${dialFailed} in the error log:\n${run.error}`);
});
