/** Outbound chaining (proxySettings.tag) end to end: VMess in VMess, freedom through VMess, UDP. */
import { assert, assertEquals } from "./assert.ts";
import { RunningInstance } from "./helpers/instance.ts";
import {
  digest,
  EchoServer,
  freePort,
  patternBytes,
  sendAndReceive,
  UdpEchoServer,
  udpRoundTrips,
} from "./helpers/net.ts";
import { V2Ray } from "./helpers/v2ray.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";
import { requirePeer } from "./helpers/peers.ts";

const ID_HOP = "b831381d-6324-4d53-ad4f-8cda48b30811";
const ID_END = "27848739-7e62-4138-9fd3-698a51b6f2fb";

// Only reachable through a chain: the hop's freedom redirects to the real server.
const UNREACHABLE = "chained-only.invalid";

/** A denoray VMess server (user `email`) whose freedom may redirect every connection. */
function vmessServer(id: string, email: string, redirect?: string): Promise<RunningInstance> {
  return RunningInstance.start({
    inbounds: [{
      tag: "vmess-in",
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients: [{ id, email }] },
    }],
    outbounds: [{ protocol: "freedom", settings: redirect ? { redirect } : {} }],
    stats: {},
    policy: { levels: { "0": { statsUserUplink: true, statsUserDownlink: true } } },
  });
}

/** A vmess outbound to `address:port` with user `id`. */
function vmessOut(tag: string, address: string, port: number, id: string, via?: string) {
  return {
    tag,
    protocol: "vmess",
    settings: { vnext: [{ address, port, users: [{ id }] }] },
    ...(via ? { proxySettings: { tag: via } } : {}),
  };
}

/** A dokodemo-door inbound on a free loopback port, to 127.0.0.1:target. */
function door(tag: string, target: number, network: "tcp" | "udp" = "tcp") {
  return {
    tag,
    listen: "127.0.0.1",
    port: 0,
    protocol: "dokodemo-door",
    settings: { address: "127.0.0.1", port: target, network },
  };
}

/** Sends 1 MiB through 127.0.0.1:port, half-closes, and checks the echo's checksum. */
async function echoThrough(port: number, seed: number): Promise<number> {
  const data = patternBytes(1 << 20, seed);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const got = await sendAndReceive(conn, data);
    assertEquals(digest(got), digest(data));
  } finally {
    conn.close();
  }
  return data.length;
}

Deno.test("chain: a vmess outbound reaches its server through another vmess outbound", async () => {
  await using echo = new EchoServer();
  await using udpEcho = new UdpEchoServer();
  await using end = await vmessServer(ID_END, "end@test");
  // The hop redirects to the end server: a direct dial of UNREACHABLE could not get there.
  await using hop = await vmessServer(ID_HOP, "hop@test", `127.0.0.1:${end.port()}`);
  await using client = await RunningInstance.start({
    inbounds: [door("tcp-in", echo.port), door("udp-in", udpEcho.port, "udp")],
    outbounds: [
      vmessOut("out", UNREACHABLE, 443, ID_END, "hop"),
      vmessOut("hop", "127.0.0.1", hop.port(), ID_HOP),
    ],
  });
  const n = await echoThrough(client.portOf("tcp-in"), 3);
  // The end server relayed the payload; the hop carried it wrapped in the inner VMess stream.
  const endStats = end.instance.stats!, hopStats = hop.instance.stats!;
  assertEquals(endStats.get("user>>>end@test>>>traffic>>>uplink"), n);
  const hopUp = hopStats.get("user>>>hop@test>>>traffic>>>uplink");
  assert(hopUp > n, `the hop carried ${hopUp} bytes for ${n} of payload`);
  assert(hopStats.get("user>>>hop@test>>>traffic>>>downlink") > 0);

  // UDP: the outer VMess UDP request rides the hop's TCP stream to the end server.
  const sent = Array.from({ length: 3 }, (_, i) => patternBytes(500, i + 20));
  const replies = await udpRoundTrips(client.portOf("udp-in"), sent);
  assertEquals(replies.map(digest), sent.map(digest));
  const endUdp = endStats.get("user>>>end@test>>>traffic>>>uplink") - n;
  assert(endUdp >= 3 * 500 && endUdp % 500 === 0, `the end server relayed ${endUdp} UDP bytes`);
});

Deno.test("chain: the hop may be V2Ray 4.34's VMess server (double tunnel, interop)", {
  ignore: !requirePeer("v2ray"),
}, async () => {
  await using echo = new EchoServer();
  await using end = await vmessServer(ID_END, "end@test");
  const v2rayPort = freePort();
  await using _v2ray = await V2Ray.start({
    log: { loglevel: "warning" },
    inbounds: [{
      listen: "127.0.0.1",
      port: v2rayPort,
      protocol: "vmess",
      settings: { clients: [{ id: ID_HOP, alterId: 0 }] },
    }],
    outbounds: [{ protocol: "freedom", settings: { redirect: `127.0.0.1:${end.port()}` } }],
  }, [v2rayPort]);
  await using client = await RunningInstance.start({
    inbounds: [door("tcp-in", echo.port)],
    outbounds: [
      vmessOut("out", UNREACHABLE, 443, ID_END, "hop"),
      vmessOut("hop", "127.0.0.1", v2rayPort, ID_HOP),
    ],
  });
  const n = await echoThrough(client.port(), 4);
  assertEquals(end.instance.stats!.get("user>>>end@test>>>traffic>>>downlink"), n);
});

Deno.test("chain: freedom with proxySettings dials its destination through a vmess outbound", async () => {
  await using echo = new EchoServer();
  await using udpEcho = new UdpEchoServer();
  await using hop = await vmessServer(ID_HOP, "hop@test");
  const access: string[] = [];
  const logger = new Logger("warning", { writeLine() {} }, memorySink(access));
  await using client = await RunningInstance.start({
    inbounds: [door("tcp-in", echo.port), door("udp-in", udpEcho.port, "udp")],
    outbounds: [
      { tag: "out", protocol: "freedom", proxySettings: { tag: "hop" } },
      vmessOut("hop", "127.0.0.1", hop.port(), ID_HOP),
    ],
    stats: {},
    policy: { system: { statsOutboundUplink: true, statsOutboundDownlink: true } },
  }, logger);
  const n = await echoThrough(client.portOf("tcp-in"), 5);
  const hopStats = hop.instance.stats!;
  // The hop's user carried exactly the payload: freedom's connection was the hop's VMess request.
  assertEquals(hopStats.get("user>>>hop@test>>>traffic>>>uplink"), n);
  // Counters and the access line name the routed outbound, not the one it goes through.
  const stats = client.instance.stats!;
  assertEquals(stats.get("outbound>>>out>>>traffic>>>uplink"), n);
  assertEquals(stats.get("outbound>>>hop>>>traffic>>>uplink"), 0);
  assert(access.some((l) => l.includes(`tcp:127.0.0.1:${echo.port} [tcp-in -> out]`)), access[0]);

  // UDP through the chain: the hop's VMess UDP request carries freedom's datagrams.
  const sent = Array.from({ length: 3 }, (_, i) => patternBytes(600, i + 9));
  const replies = await udpRoundTrips(client.portOf("udp-in"), sent);
  assertEquals(replies.map(digest), sent.map(digest));
  assert(stats.get("outbound>>>out>>>traffic>>>downlink") >= n + 3 * 600);
  // A retransmitted datagram counts again, so the hop saw at least the three that came back.
  const hopUdp = hopStats.get("user>>>hop@test>>>traffic>>>uplink") - n;
  assert(hopUdp >= 3 * 600 && hopUdp % 600 === 0, `the hop carried ${hopUdp} UDP bytes`);
});
