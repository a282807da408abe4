/** Floods and descriptor exhaustion: working users keep being served, and listeners never go silent. */
import { assert, assertEquals } from "./assert.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { EchoServer, patternBytes, within } from "./helpers/net.ts";
import { Spawned, writeTempConfig } from "./helpers/process.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** A SOCKS5 CONNECT to 127.0.0.1:`target` through `proxy`, one 1 KiB round trip; throws on failure. */
async function socksEcho(proxy: number, target: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy });
  try {
    const read = async (n: number) => {
      const out = new Uint8Array(n);
      for (let o = 0; o < n;) {
        const got = await conn.read(out.subarray(o));
        if (got === null) throw new Error(`closed after ${o} of ${n} bytes`);
        o += got;
      }
      return out;
    };
    await conn.write(new Uint8Array([5, 1, 0]));
    assertEquals([...await read(2)], [5, 0]);
    await conn.write(new Uint8Array([5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 0xff]));
    assertEquals((await read(10))[1], 0);
    const data = patternBytes(1024, target);
    await conn.write(data);
    assertEquals(await read(1024), data);
  } finally {
    conn.close();
  }
}

/** Whether the server closed `conn` (EOF or reset) rather than leaving it open. */
async function closedByServer(conn: Deno.Conn): Promise<boolean> {
  try {
    return await conn.read(new Uint8Array(16)) === null;
  } catch {
    return true;
  }
}

Deno.test("flood: idle connections past the handshake cap are shed while real requests are served", async () => {
  await using echo = new EchoServer();
  await using inst = await RunningInstance.start(
    {
      inbounds: [{ tag: "socks", listen: "127.0.0.1", port: 0, protocol: "socks" }],
      outbounds: [{ protocol: "freedom" }],
    },
    undefined,
    { gateLimits: { descriptors: 400, handshaking: 16, handshakingPerSource: 16 } },
  );
  const port = inst.port();
  const idle: Deno.Conn[] = [];
  try {
    // Three times the cap of idle connections, each stuck before its first SOCKS byte.
    for (let i = 0; i < 48; i++) idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    for (let round = 0; round < 10; round++) {
      await within(socksEcho(port, echo.port), 10_000, `request ${round} during the flood`);
      idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    }
    // The oldest idle ones were shed: at least all but the cap's worth are closed.
    const closed = await Promise.all(idle.slice(0, 40).map((c) => closedByServer(c)));
    assertEquals(closed.filter((c) => c).length, 40);
    assert(inst.instance.gate.handshaking <= 16);
  } finally {
    for (const c of idle) c.close();
  }
});

Deno.test("descriptor limit: under a low RLIMIT_NOFILE the listener refuses early and serves again", async () => {
  const prlimit = await new Deno.Command("prlimit", { args: ["--version"] }).output().then(
    (o) => o.success,
    () => false,
  );
  if (!prlimit) {
    if (Deno.env.get("CI") === "true") throw new Error("prlimit (util-linux) is missing");
    console.log("skipped: prlimit (util-linux) is not installed");
    return;
  }
  await using echo = new EchoServer();
  const config = await writeTempConfig({
    log: { loglevel: "info" },
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: echo.port },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  await using proc = new Spawned("prlimit", [
    "--nofile=128:128",
    Deno.execPath(),
    "run",
    "-A",
    "--unstable-net",
    `${ROOT}main.ts`,
    "run",
    "-c",
    config,
  ]);
  try {
    const port = Number((await proc.waitFor(/listening on tcp 127\.0\.0\.1:(\d+)/))[1]);
    await proc.waitFor(/connections: 64 descriptors/);
    // Far more tunnels than 128 descriptors allow, all held open at once.
    // Settled, not all: a refused connect must not leave the others unclosed.
    const settled = await Promise.allSettled(
      Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    const conns = settled.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
    try {
      assertEquals(conns.length, 200, "every connect was accepted by the kernel");
      const data = new Uint8Array([1, 2, 3]);
      const outcomes = await Promise.all(conns.map(async (c) => {
        try {
          await c.write(data);
          const got = new Uint8Array(3);
          return await c.read(got) === 3 ? "served" : "refused";
        } catch {
          return "refused";
        }
      }));
      const served = outcomes.filter((o) => o === "served").length;
      assert(served >= 16 && served <= 40, `served ${served} of 200`);
    } finally {
      for (const c of conns) c.close();
    }
    // Once the server has seen them go, the same listener serves again: it did not die.
    const echoOnce = async (i: number): Promise<boolean> => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await c.write(new Uint8Array([i]));
        const got = new Uint8Array(1);
        return await c.read(got) === 1 && got[0] === i;
      } catch {
        return false;
      } finally {
        c.close();
      }
    };
    await within(
      (async () => {
        // Refused while the closed tunnels are still being torn down; poll like waitForPort.
        while (!await echoOnce(255)) await new Promise((r) => setTimeout(r, 25));
      })(),
      10_000,
      "service after the burst",
    );
    for (let i = 0; i < 20; i++) assert(await echoOnce(i), `echo ${i} after the burst`);
  } finally {
    await Deno.remove(config);
  }
});
