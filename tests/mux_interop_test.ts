/**
 * Mux.Cool end to end, against the real V2Ray 4.34 both ways and ours ↔ ours: 60 concurrent
 * tunnels each moving checksummed data up and down over a handful of multiplexed VMess
 * connections, UDP through a SOCKS5 UDP ASSOCIATE over mux, and a refused sibling.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  digest,
  EchoServer,
  freePort,
  patternBytes,
  UdpEchoServer,
  udpRoundTrips,
  within,
} from "./helpers/net.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { V2Ray } from "./helpers/v2ray.ts";
import { requirePeer } from "./helpers/peers.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";
const TUNNELS = 60;

function serverConfig(port: number) {
  return {
    log: { loglevel: "none" },
    inbounds: [{
      tag: "vmess-in",
      listen: "127.0.0.1",
      port,
      protocol: "vmess",
      settings: { clients: [{ id: ID, email: "mux@test" }] },
    }],
    outbounds: [{ protocol: "freedom" }],
  };
}

/** dokodemo-door (TCP to `target`) and SOCKS with UDP, both out through VMess with mux on. */
function clientConfig(server: number, door: number, socks: number, target: number) {
  return {
    log: { loglevel: "none" },
    inbounds: [
      {
        tag: "door",
        listen: "127.0.0.1",
        port: door,
        protocol: "dokodemo-door",
        settings: { address: "127.0.0.1", port: target, network: "tcp" },
      },
      {
        tag: "socks",
        listen: "127.0.0.1",
        port: socks,
        protocol: "socks",
        settings: { udp: true, ip: "127.0.0.1" },
      },
    ],
    outbounds: [{
      protocol: "vmess",
      mux: { enabled: true, concurrency: 8 },
      settings: { vnext: [{ address: "127.0.0.1", port: server, users: [{ id: ID }] }] },
    }],
    // Generous half-close timeouts: a tunnel's two directions may end far apart under load.
    policy: { levels: { "0": { uplinkOnly: 10, downlinkOnly: 10 } } },
  };
}

/**
 * One tunnel: sends `size` bytes, reads the echo back and checks it. A 4.34 mux client cannot
 * carry a half-close, so the reader stops at `size` bytes instead of at the end of the stream.
 */
async function echoTunnel(port: number, size: number, seed: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const data = patternBytes(size, seed);
    const writing = (async () => {
      for (let o = 0; o < size;) o += await conn.write(data.subarray(o, o + 16384));
    })();
    const got = new Uint8Array(size);
    for (let o = 0; o < size;) {
      const n = await conn.read(got.subarray(o));
      if (n === null) throw new Error(`tunnel ${seed}: ended after ${o} of ${size} bytes`);
      o += n;
    }
    await writing;
    assertEquals(digest(got), digest(data), `tunnel ${seed}`);
  } finally {
    conn.close();
  }
}

/** 60 tunnels at once, 4 KiB to 200 KiB each. */
async function manyTunnels(port: number): Promise<void> {
  await within(
    Promise.all(
      Array.from(
        { length: TUNNELS },
        (_, i) => echoTunnel(port, 4096 + ((i * 3371) % 200) * 1024, i + 1),
      ),
    ),
    60_000,
    `${TUNNELS} tunnels`,
  );
}

/** VMess handshakes the server accepted: with mux, far fewer than the tunnels they carried. */
function acceptedHandshakes(server: RunningInstance): number {
  const family = server.instance.metrics().find((f) => f.name === "denoray_handshakes_total");
  return family?.samples.find((s) => s.labels.result === "ok")?.value ?? 0;
}

/** A SOCKS5 UDP ASSOCIATE through `socksPort`; returns the relay port and the control connection. */
async function associate(socksPort: number): Promise<{ relay: number; control: Deno.Conn }> {
  const control = await Deno.connect({ hostname: "127.0.0.1", port: socksPort });
  const buf = new Uint8Array(64);
  await control.write(new Uint8Array([5, 1, 0]));
  assertEquals(await control.read(buf), 2);
  await control.write(new Uint8Array([5, 3, 0, 1, 0, 0, 0, 0, 0, 0]));
  const n = (await control.read(buf))!;
  assertEquals([n, buf[1]], [10, 0], "UDP ASSOCIATE granted");
  return { relay: (buf[8] << 8) | buf[9], control };
}

/** Datagrams to the UDP echo through the SOCKS relay come back intact. */
async function udpOverMux(socksPort: number, echoPort: number): Promise<void> {
  const { relay, control } = await associate(socksPort);
  try {
    const wrap = (payload: Uint8Array) =>
      new Uint8Array([0, 0, 0, 1, 127, 0, 0, 1, echoPort >> 8, echoPort & 0xff, ...payload]);
    const datagrams = [1, 700, 1400].map((n, i) => wrap(patternBytes(n, 50 + i)));
    const replies = await udpRoundTrips(relay, datagrams);
    assertEquals(replies.map(digest), datagrams.map(digest));
  } finally {
    control.close();
  }
}

Deno.test("mux: v2ray 4.34 client with mux → denoray server, 60 tunnels and UDP", {
  ignore: !requirePeer("v2ray"),
}, async () => {
  await using echo = new EchoServer();
  await using udpEcho = new UdpEchoServer();
  const lines: string[] = [];
  await using server = await RunningInstance.start(
    serverConfig(0),
    new Logger("info", memorySink(lines), memorySink(lines)),
  );
  const door = freePort(), socks = freePort();
  await using _client = await V2Ray.start(
    clientConfig(server.port(), door, socks, echo.port),
    [door, socks],
  );
  await manyTunnels(door);
  await udpOverMux(socks, udpEcho.port);
  // Each sub-connection was routed and logged on its own, as the mux user.
  const accepted = lines.filter((l) => l.includes(`accepted tcp:127.0.0.1:${echo.port}`));
  assert(accepted.length >= TUNNELS, `${accepted.length} access lines`);
  assert(accepted.every((l) => l.includes("email: mux@test")), accepted[0]);
  assert(!lines.some((l) => l.includes("Mux.Cool connection closed")), lines.join("\n"));
  const handshakes = acceptedHandshakes(server);
  assert(handshakes > 0 && handshakes <= TUNNELS / 4, `${handshakes} VMess connections`);
});

Deno.test("mux: denoray client with mux → v2ray 4.34 server, 60 tunnels and UDP", {
  ignore: !requirePeer("v2ray"),
}, async () => {
  await using echo = new EchoServer();
  await using udpEcho = new UdpEchoServer();
  const sp = freePort();
  await using _server = await V2Ray.start(serverConfig(sp), [sp]);
  await using client = await RunningInstance.start(clientConfig(sp, 0, 0, echo.port));
  await manyTunnels(client.portOf("door"));
  await udpOverMux(client.portOf("socks"), udpEcho.port);
});

Deno.test("mux: denoray ↔ denoray, 60 tunnels with half-close, UDP, and a refused sibling", async () => {
  await using echo = new EchoServer();
  await using udpEcho = new UdpEchoServer();
  await using server = await RunningInstance.start(serverConfig(0));
  const closedPort = freePort(); // nothing listens here
  await using client = await RunningInstance.start({
    ...clientConfig(server.port(), 0, 0, echo.port),
    inbounds: [
      ...clientConfig(server.port(), 0, 0, echo.port).inbounds,
      {
        tag: "refused",
        listen: "127.0.0.1",
        port: 0,
        protocol: "dokodemo-door",
        settings: { address: "127.0.0.1", port: closedPort, network: "tcp" },
      },
    ],
  });
  const door = client.portOf("door");
  // A refused target in the middle of the crowd: it ends on its own, its siblings go on.
  const refused = (async () => {
    const c = await Deno.connect({ hostname: "127.0.0.1", port: client.portOf("refused") });
    try {
      assertEquals(await c.read(new Uint8Array(8)).catch(() => null), null);
    } finally {
      c.close();
    }
  })();
  await manyTunnels(door);
  await within(refused, 20_000, "the refused sub-connection's end");
  const handshakes = acceptedHandshakes(server);
  assert(handshakes > 0 && handshakes <= TUNNELS / 4, `${handshakes} VMess connections`);
  // Half-close through mux: the echo's end of stream arrives after the client's.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: door });
  try {
    const data = patternBytes(300_000, 77);
    const writing = (async () => {
      for (let o = 0; o < data.length;) o += await conn.write(data.subarray(o, o + 65536));
      await conn.closeWrite();
    })();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(65536);
      const n = await within(conn.read(buf), 20_000, "half-closed echo");
      if (n === null) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    await writing;
    const got = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      got.set(c, o);
      o += c.length;
    }
    assertEquals(digest(got), digest(data));
  } finally {
    conn.close();
  }
  await udpOverMux(client.portOf("socks"), udpEcho.port);
});
