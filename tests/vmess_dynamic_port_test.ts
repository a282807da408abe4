/** Dynamic port (detour + allocate random): SwitchAccount both ways with v2ray 4.34. */
import { assert, assertEquals } from "./assert.ts";
import { digest, EchoServer, freePort, patternBytes, sendAndReceive } from "./helpers/net.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { V2Ray } from "./helpers/v2ray.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";
import { DynamicVmessInbound } from "../lib/inbound/vmess_dynamic.ts";
import { VmessInbound } from "../lib/inbound/vmess.ts";
import { requirePeer } from "./helpers/peers.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";

function serverConfig(mainPort: number, rangeFrom: number) {
  return {
    log: { loglevel: "none" },
    inbounds: [
      {
        tag: "main",
        listen: "127.0.0.1",
        port: mainPort,
        protocol: "vmess",
        settings: { clients: [{ id: ID, email: "u@test" }], detour: { to: "dynamic" } },
      },
      {
        tag: "dynamic",
        listen: "127.0.0.1",
        port: `${rangeFrom}-${rangeFrom + 30}`,
        protocol: "vmess",
        settings: { default: { alterId: 0, level: 0 } },
        allocate: { strategy: "random", concurrency: 2, refresh: 5 },
      },
    ],
    outbounds: [{ protocol: "freedom" }],
  };
}

function clientConfig(listenPort: number, echoPort: number, serverPort: number) {
  return {
    log: { loglevel: "none" },
    inbounds: [{
      listen: "127.0.0.1",
      port: listenPort,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: echoPort },
    }],
    outbounds: [{
      protocol: "vmess",
      settings: { vnext: [{ address: "127.0.0.1", port: serverPort, users: [{ id: ID }] }] },
    }],
  };
}

async function echoOnce(port: number, seed: number): Promise<void> {
  const data = patternBytes(50_000, seed);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    assertEquals(digest(await sendAndReceive(conn, data)), digest(data));
  } finally {
    conn.close();
  }
}

// A base port whose range is probably free; the range is only listened on by one server.
/**
 * The first of 31 ports for a dynamic range, below Linux's ephemeral range (32768–60999), where
 * the kernel never hands out ports to other sockets: under a parallel test run, a range among
 * ephemeral ports is often partly taken, and V2Ray then allocates nothing.
 */
function rangeBase(): number {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = Array.from({ length: 31 }, (_, i) => {
      try {
        Deno.listen({ hostname: "127.0.0.1", port: base + i }).close();
        return true;
      } catch {
        return false;
      }
    });
    if (free.every((f) => f)) return base;
  }
}

Deno.test("dynamic port: denoray client follows a v2ray server's SwitchAccount", {
  ignore: !requirePeer("v2ray"),
}, async () => {
  await using echo = new EchoServer();
  const mainPort = freePort();
  const base = rangeBase();
  await using _server = await V2Ray.start(serverConfig(mainPort, base), [mainPort]);
  const lines: string[] = [];
  await using client = await RunningInstance.start(
    clientConfig(0, echo.port, mainPort),
    new Logger("debug", memorySink(lines), null),
  );
  for (let i = 0; i < 6; i++) await echoOnce(client.port(), i + 1);
  assert(lines.some((l) => /switched account to port \d+/.test(l)), lines.join("\n"));
  const dialed = lines.map((l) => /connecting to 127\.0\.0\.1:(\d+)/.exec(l)?.[1]).filter(Boolean)
    .map(Number);
  assert(dialed.some((p) => p >= base && p <= base + 30), `dialed ${dialed.join(",")}`);
});

Deno.test("dynamic port: a v2ray client follows denoray's SwitchAccount", {
  ignore: !requirePeer("v2ray"),
}, async () => {
  await using echo = new EchoServer();
  const base = rangeBase();
  await using server = await RunningInstance.start(serverConfig(0, base));
  const clientPort = freePort();
  await using _client = await V2Ray.start(clientConfig(clientPort, echo.port, server.port(0)), [
    clientPort,
  ]);
  for (let i = 0; i < 6; i++) await echoOnce(clientPort, i + 1);
  const dynamic = server.instance.inbound("dynamic")!;
  const ports = dynamic.addresses().map((a) => Number(a.split(":").pop()));
  assertEquals(ports.every((p) => p >= base && p <= base + 30), true);
  // The v2ray client came back on a dynamic port with the account it was handed.
  assert(dynamic instanceof DynamicVmessInbound);
  assert(dynamic.accepted > 0, "no connection on the dynamic ports");
  assertEquals(dynamic.server.users.users.map((u) => u.user.email), ["u@test"]);
});

Deno.test("detour to a plain vmess inbound: its port and the client of the same email, as V2Ray", async () => {
  await using echo = new EchoServer();
  const ID2 = "0f0e0d0c-0b0a-4908-8706-050403020100";
  await using server = await RunningInstance.start({
    inbounds: [
      {
        tag: "main",
        listen: "127.0.0.1",
        port: 0,
        protocol: "vmess",
        settings: { clients: [{ id: ID, email: "u@test" }], detour: { to: "plain" } },
      },
      {
        tag: "plain",
        listen: "127.0.0.1",
        port: 0,
        protocol: "vmess",
        settings: { clients: [{ id: ID2, email: "U@test" }], default: { level: 2, alterId: 0 } },
      },
    ],
    outbounds: [{ protocol: "freedom" }],
  });
  const plain = server.instance.inbound("plain");
  assert(plain instanceof VmessInbound);
  const plainPort = server.port(1);
  const lines: string[] = [];
  await using client = await RunningInstance.start(
    clientConfig(0, echo.port, server.port(0)),
    new Logger("debug", memorySink(lines), null),
  );
  for (let i = 0; i < 3; i++) await echoOnce(client.port(), i + 1);
  assert(lines.some((l) => l.includes(`switched account to port ${plainPort}`)), lines.join("\n"));
  assert(lines.some((l) => l.includes(`connecting to 127.0.0.1:${plainPort}`)), lines.join("\n"));
  // The account handed out is the configured client of that email (case-insensitive)...
  assertEquals(plain.switchAccountFor("u@test")?.level, 0);
  assertEquals(plain.server.users.users.length, 1);
  // ...and an unknown email gets a new account with the target's `default` level, kept.
  const other = plain.switchAccountFor("new@test")!;
  assertEquals([other.port, other.level, other.validMinutes], [plainPort, 2, 255]);
  assertEquals(plain.switchAccountFor("new@test")?.id, other.id);
  assertEquals(plain.server.users.users.map((u) => u.user.email), ["U@test", "new@test"]);
});
