/** End to end through real sockets: SOCKS, HTTP, dokodemo-door, freedom, blackhole, routing, stats. */
import { assert, assertEquals } from "./assert.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { curl, HttpOrigin } from "./helpers/http_server.ts";
import {
  digest,
  EchoServer,
  patternBytes,
  sendAndReceive,
  UdpEchoServer,
  udpRoundTrips,
} from "./helpers/net.ts";
import { requirePeer } from "./helpers/peers.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";

/** A server instance (vmess → freedom) and a client instance (socks, http → vmess). */
async function tunnel(clientExtra: Record<string, unknown> = {}) {
  const server = await RunningInstance.start({
    inbounds: [{
      tag: "vmess-in",
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients: [{ id: ID, email: "u@test" }] },
    }],
    outbounds: [{ tag: "direct", protocol: "freedom" }],
    stats: { listen: "127.0.0.1:0" },
    policy: { levels: { "0": { statsUserUplink: true, statsUserDownlink: true } } },
  });
  const client = await RunningInstance.start({
    inbounds: [
      { tag: "socks-in", listen: "127.0.0.1", port: 0, protocol: "socks", settings: {} },
      { tag: "http-in", listen: "127.0.0.1", port: 0, protocol: "http", settings: {} },
    ],
    outbounds: [
      {
        tag: "vmess-out",
        protocol: "vmess",
        settings: { vnext: [{ address: "127.0.0.1", port: server.port(), users: [{ id: ID }] }] },
      },
      { tag: "block", protocol: "blackhole", settings: { response: { type: "http" } } },
    ],
    ...clientExtra,
  });
  return { server, client };
}

Deno.test("engine: curl through SOCKS5, SOCKS4a, HTTP proxy and CONNECT, over VMess", {
  ignore: !requirePeer("curl"),
}, async () => {
  await using origin = new HttpOrigin("hello");
  const { server, client } = await tunnel();
  await using _s = server;
  await using _c = client;
  const url = `http://127.0.0.1:${origin.port}/x`;
  for (
    const args of [
      ["-x", `socks5h://127.0.0.1:${client.port(0)}`, url],
      ["--socks4a", `127.0.0.1:${client.port(0)}`, url],
      ["-x", `http://127.0.0.1:${client.port(1)}`, url],
      ["-p", "-x", `http://127.0.0.1:${client.port(1)}`, url],
    ]
  ) {
    const r = await curl(args);
    assertEquals([r.status, r.body], ["200", "hello /x"], args.join(" "));
  }
  // The server counted the user's bytes: both directions moved something.
  const stats = server.instance.stats!;
  const up = stats.get("user>>>u@test>>>traffic>>>uplink");
  const down = stats.get("user>>>u@test>>>traffic>>>downlink");
  assert(up > 0 && down > 0, `counted ${up} up, ${down} down`);
  // Served as Prometheus text on the metrics endpoint, same values.
  const metricsUrl = server.instance.metricsAddress()!.replace(/^http /, "http://");
  const text = await (await fetch(metricsUrl)).text();
  assert(
    text.includes(
      `denoray_traffic_bytes_total{kind="user",name="u@test",direction="downlink"} ${down}`,
    ),
    text,
  );
});

Deno.test("engine: routing sends a domain rule to blackhole (HTTP 403) and others on", {
  ignore: !requirePeer("curl"),
}, async () => {
  await using origin = new HttpOrigin("ok");
  const { server, client } = await tunnel({
    routing: { rules: [{ type: "field", domain: ["domain:blocked.test"], outboundTag: "block" }] },
  });
  await using _s = server;
  await using _c = client;
  const blocked = await curl([
    "-x",
    `http://127.0.0.1:${client.port(1)}`,
    "http://www.blocked.test/",
  ]);
  assertEquals(blocked.status, "403");
  const ok = await curl([
    "-x",
    `http://127.0.0.1:${client.port(1)}`,
    `http://127.0.0.1:${origin.port}/`,
  ]);
  assertEquals(ok.status, "200");
});

Deno.test("engine: SOCKS5 password auth and HTTP Basic auth refuse wrong credentials", {
  ignore: !requirePeer("curl"),
}, async () => {
  await using origin = new HttpOrigin("ok");
  await using inst = await RunningInstance.start({
    inbounds: [
      {
        listen: "127.0.0.1",
        port: 0,
        protocol: "socks",
        settings: { auth: "password", accounts: [{ user: "a", pass: "b" }] },
      },
      {
        listen: "127.0.0.1",
        port: 0,
        protocol: "http",
        settings: { accounts: [{ user: "a", pass: "b" }] },
      },
    ],
    outbounds: [{ protocol: "freedom" }],
  });
  const url = `http://127.0.0.1:${origin.port}/`;
  assertEquals((await curl(["-x", `socks5h://a:b@127.0.0.1:${inst.port(0)}`, url])).status, "200");
  assert(
    (await curl(["-x", `socks5h://a:x@127.0.0.1:${inst.port(0)}`, url])).code !== 0,
    "wrong socks password",
  );
  assertEquals((await curl(["-x", `http://a:b@127.0.0.1:${inst.port(1)}`, url])).status, "200");
  assertEquals((await curl(["-x", `http://a:x@127.0.0.1:${inst.port(1)}`, url])).status, "407");
});

Deno.test("engine: dokodemo-door → VMess keeps half-close: the whole echo comes back after FIN", async () => {
  await using echo = new EchoServer();
  const server = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients: [{ id: ID }] },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  await using _s = server;
  await using client = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: echo.port },
    }],
    outbounds: [{
      protocol: "vmess",
      settings: {
        vnext: [{
          address: "127.0.0.1",
          port: server.port(),
          users: [{ id: ID, security: "chacha20-poly1305" }],
        }],
      },
    }],
  });
  const data = patternBytes(3 << 20, 7);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
  try {
    const got = await sendAndReceive(conn, data);
    assertEquals(digest(got), digest(data));
  } finally {
    conn.close();
  }
});

Deno.test("engine: an idle connection is closed after policy connIdle", async () => {
  await using echo = new EchoServer();
  await using inst = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: echo.port },
    }],
    outbounds: [{ protocol: "freedom" }],
    policy: { levels: { "0": { connIdle: 1 } } },
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: inst.port() });
  try {
    // Nothing is sent: the relay's idle timer must close it, so read() ends instead of hanging.
    const n = await conn.read(new Uint8Array(16)).catch(() => null);
    assertEquals(n, null);
  } finally {
    conn.close();
  }
});

/** Reads `conn` until it ends; fails if it is still open after `limitMs` (a guard, not a wait). */
async function readsToEnd(conn: Deno.Conn, limitMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs);
  });
  try {
    await Promise.race([
      (async () => {
        const buf = new Uint8Array(256);
        while (await conn.read(buf).catch(() => null) !== null) {
          // Whatever arrives before the end is not the point.
        }
      })(),
      guard,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("engine: settings.timeout of http, socks and dokodemo-door is connIdle at userLevel 0", async () => {
  await using echo = new EchoServer();
  // Level 0's connIdle stays at its 300 s default: only `timeout` can close these within the guard.
  await using inst = await RunningInstance.start({
    inbounds: [
      {
        listen: "127.0.0.1",
        port: 0,
        protocol: "dokodemo-door",
        settings: { address: "127.0.0.1", port: echo.port, timeout: 1 },
      },
      { listen: "127.0.0.1", port: 0, protocol: "http", settings: { timeout: 1 } },
      { listen: "127.0.0.1", port: 0, protocol: "socks", settings: { timeout: 1 } },
    ],
    outbounds: [{ protocol: "freedom" }],
  });
  const door = await Deno.connect({ hostname: "127.0.0.1", port: inst.port(0) });
  const http = await Deno.connect({ hostname: "127.0.0.1", port: inst.port(1) });
  const socks = await Deno.connect({ hostname: "127.0.0.1", port: inst.port(2) });
  try {
    await http.write(
      new TextEncoder().encode(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    // SOCKS5 noauth, then CONNECT 127.0.0.1:echo in one write.
    await socks.write(
      new Uint8Array([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, echo.port >> 8, echo.port & 0xff]),
    );
    await Promise.all([door, http, socks].map((c) => readsToEnd(c, 10_000)));
  } finally {
    for (const c of [door, http, socks]) c.close();
  }
});

Deno.test("engine: SOCKS5 UDP ASSOCIATE relays datagrams through VMess and back", async () => {
  await using echo = new UdpEchoServer();
  const server = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients: [{ id: ID }] },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  await using _s = server;
  await using client = await RunningInstance.start({
    inbounds: [{ listen: "127.0.0.1", port: 0, protocol: "socks", settings: { udp: true } }],
    outbounds: [{
      protocol: "vmess",
      settings: { vnext: [{ address: "127.0.0.1", port: server.port(), users: [{ id: ID }] }] },
    }],
  });
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
  try {
    const buf = new Uint8Array(64);
    await tcp.write(new Uint8Array([5, 1, 0]));
    assertEquals(await tcp.read(buf), 2);
    await tcp.write(new Uint8Array([5, 3, 0, 1, 0, 0, 0, 0, 0, 0]));
    const n = (await tcp.read(buf))!;
    assertEquals(
      [n, buf[1], buf[3]],
      [10, 0, 1],
      "UDP ASSOCIATE granted with an IPv4 relay address",
    );
    const relayPort = (buf[8] << 8) | buf[9];
    // RSV RSV FRAG ATYP=1 127.0.0.1 PORT DATA: the echo's reply comes back with the same header.
    const datagram = new Uint8Array([
      0,
      0,
      0,
      1,
      127,
      0,
      0,
      1,
      echo.port >> 8,
      echo.port & 0xff,
      ...patternBytes(500, 9),
    ]);
    const [reply] = await udpRoundTrips(relayPort, [datagram]);
    assertEquals(digest(reply), digest(datagram));
  } finally {
    tcp.close();
  }
});

Deno.test("engine: user counters equal the bytes moved; vnext fails over; freedom redirect", async () => {
  await using echo = new EchoServer();
  const server = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients: [{ id: ID, email: "c@test" }] },
    }],
    // The target named by the client (port 1) is redirected to the echo server.
    outbounds: [{ protocol: "freedom", settings: { redirect: `127.0.0.1:${echo.port}` } }],
    stats: {},
    policy: { levels: { "0": { statsUserUplink: true, statsUserDownlink: true } } },
  });
  await using _s = server;
  const dead = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = l.addr.port;
    l.close();
    return p;
  })();
  await using client = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: 1 },
    }],
    outbounds: [{
      protocol: "vmess",
      settings: {
        vnext: [
          { address: "127.0.0.1", port: dead, users: [{ id: ID }] },
          { address: "127.0.0.1", port: server.port(), users: [{ id: ID }] },
        ],
      },
    }],
  });
  let moved = 0;
  // Two connections: round robin starts one of them at the dead server, which must fail over.
  for (const size of [70_000, 123_457]) {
    const data = patternBytes(size, size);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
    try {
      assertEquals(digest(await sendAndReceive(conn, data)), digest(data));
    } finally {
      conn.close();
    }
    moved += size;
  }
  const stats = server.instance.stats!;
  assertEquals(stats.get("user>>>c@test>>>traffic>>>uplink"), moved);
  assertEquals(stats.get("user>>>c@test>>>traffic>>>downlink"), moved);
});

Deno.test("engine: UDP payload bytes are counted per inbound and outbound, as TCP's", async () => {
  await using echo = new UdpEchoServer();
  await using inst = await RunningInstance.start({
    inbounds: [{
      tag: "udp-in",
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: echo.port, network: "udp" },
    }],
    outbounds: [{ tag: "direct", protocol: "freedom" }],
    stats: {},
    policy: {
      system: {
        statsInboundUplink: true,
        statsInboundDownlink: true,
        statsOutboundUplink: true,
        statsOutboundDownlink: true,
      },
    },
  });
  const size = 700, n = 5;
  const sent = Array.from({ length: n }, (_, i) => patternBytes(size, i + 1));
  const replies = await udpRoundTrips(inst.port(), sent);
  assertEquals(replies.map(digest), sent.map(digest));
  const stats = inst.instance.stats!;
  // A lost datagram is sent again, so counts are whole datagrams, at least the n that came back.
  for (const kind of ["inbound>>>udp-in", "outbound>>>direct"]) {
    for (const dir of ["uplink", "downlink"]) {
      const c = stats.get(`${kind}>>>traffic>>>${dir}`);
      assert(c >= n * size && c % size === 0, `${kind} ${dir}: ${c}`);
    }
  }
});

Deno.test("engine: a reload whose dokodemo-door cannot bind its UDP port holds no TCP port", async () => {
  // The UDP side of the port is taken; its TCP side is free.
  const taken = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (taken.addr as Deno.NetAddr).port;
  const outbounds = [{ protocol: "freedom" }];
  await using inst = await RunningInstance.start({
    inbounds: [{ listen: "127.0.0.1", port: 0, protocol: "socks" }],
    outbounds,
  });
  try {
    const reloaded = await inst.reload({
      inbounds: [{
        listen: "127.0.0.1",
        port,
        protocol: "dokodemo-door",
        settings: { address: "127.0.0.1", port: 9, network: "tcp,udp" },
      }],
      outbounds,
    }).then(() => null, (e: Error) => e);
    assert(reloaded instanceof Error, "the reload was refused");
    // The TCP listener bound before the UDP failure was closed again.
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  } finally {
    taken.close();
  }
});
