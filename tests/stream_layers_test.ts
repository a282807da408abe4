/**
 * The stream layers of lib/net one at a time, over in-memory streams and loopback sockets:
 * WebSocket framing (both roles, pings, close, malformed frames), PROXY protocol, the TCP HTTP
 * header, TLS on both sides (Deno's and node:tls, names, trust, allowInsecure, disableSystemRoot).
 */
import fc from "fast-check";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { memoryPair, type MemoryStream } from "./helpers/memory_stream.ts";
import { makeTestPki } from "./helpers/certs.ts";
import { peerTest } from "./helpers/peer.ts";
import { fuzzParams } from "./helpers/fuzz.ts";
import { concatBytes, utf8 } from "../lib/core/bytes.ts";
import { ProtocolError } from "../lib/core/errors.ts";
import type { ByteStream } from "../lib/core/stream.ts";
import {
  acceptHttpHeader,
  acceptTls,
  acceptWebSocket,
  buildListenStack,
  connectTls,
  connectWebSocket,
  forwardedForTrust,
  HttpHeaderClientStream,
  readProxyProtocol,
  TcpStream,
  type TlsClientOptions,
  WsStream,
} from "../lib/net/mod.ts";
import { encodeFrame, FrameDecoder, Opcode, type WsEvent } from "../lib/ws/mod.ts";
import { encodeProxyV1, encodeProxyV2 } from "../lib/proxy_protocol/mod.ts";
import { httpHeaderSettings } from "../lib/http_header/mod.ts";
import { PLAIN_TCP, type StreamSettings, type WsStreamSettings } from "../lib/config/mod.ts";
import { latin1 } from "../lib/http/mod.ts";

const PEER = { address: "10.0.0.9", port: 4000 };

function ws(over: Partial<WsStreamSettings> = {}): WsStreamSettings {
  return {
    network: "ws",
    path: "/ray",
    headers: [],
    xrayEarlyData: 0,
    maxEarlyData: 0,
    earlyDataHeaderName: "",
    ...over,
  };
}

async function readAll(s: ByteStream, n: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const c = await s.read();
    if (c === null) break;
    parts.push(c.slice());
    got += c.length;
  }
  return concatBytes(...parts);
}

// Reads raw frames sent to `role` until `want` matches one; returns every event seen.
async function framesUntil(
  raw: ByteStream,
  role: "server" | "client",
  want: (e: WsEvent) => boolean,
): Promise<WsEvent[]> {
  const d = new FrameDecoder(role);
  const seen: WsEvent[] = [];
  for (;;) {
    const c = await raw.read();
    if (c === null) return seen;
    for (const e of d.push(c)) {
      seen.push(e.kind === "data" ? { kind: "data", bytes: e.bytes.slice() } : e);
      if (want(e)) return seen;
    }
  }
}

// A WebSocket pair over memory: our client layer ↔ our server layer.
async function wsPair(
  settings: WsStreamSettings,
  pingMs = 0,
): Promise<{ client: ByteStream; server: ByteStream; source: { address: string; port: number } }> {
  const [a, b] = memoryPair();
  const serverSide = acceptWebSocket(b, PEER, { ws: settings, trust: null, pingMs });
  const client = await connectWebSocket(a, { ws: settings, host: "example.com", pingMs });
  if (settings.xrayEarlyData > 0 || settings.maxEarlyData > 0) {
    // Early data: the handshake starts with the first write.
    await client.write(utf8("hello"));
  }
  const { stream: server, source } = await serverSide;
  return { client, server, source };
}

Deno.test("ws layer: property: writes of any sizes arrive whole and in order, both ways", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 70_000 }), { maxLength: 6 }),
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { maxLength: 6 }),
      async (up, down) => {
        const { client, server } = await wsPair(ws());
        const upAll = concatBytes(...up), downAll = concatBytes(...down);
        const [gotUp, gotDown] = await Promise.all([
          readAll(server, upAll.length),
          readAll(client, downAll.length),
          (async () => {
            for (const u of up) await client.write(u);
          })(),
          (async () => {
            for (const d of down) await server.write(d);
          })(),
        ]);
        assertEquals(gotUp, upAll);
        assertEquals(gotDown, downAll);
        client.close();
        server.close();
      },
    ),
    fuzzParams({ numRuns: 20 }),
  );
});

Deno.test("ws layer: the client masks, the server does not; read(max) returns at most max", async () => {
  const [raw, inner] = memoryPair();
  const client = new WsStream(inner, { role: "client", pingMs: 0 });
  await client.write(utf8("abc"));
  const wire = (await raw.read())!.slice();
  assertEquals(wire[0], 0x82, "FIN + binary");
  assert((wire[1] & 0x80) !== 0, "masked");
  const [raw2, inner2] = memoryPair();
  const server = new WsStream(inner2, { role: "server", pingMs: 0 });
  await server.write(utf8("abc"));
  assertEquals([...(await raw2.read())!], [0x82, 3, 0x61, 0x62, 0x63]);
  await raw2.write(encodeFrame(Opcode.binary, utf8("hello"), new Uint8Array([1, 2, 3, 4])));
  assertEquals(latin1((await server.read(2))!), "he");
  assertEquals(latin1((await server.read())!), "llo");
  client.close();
  server.close();
});

Deno.test("ws layer: pings are answered, text and fragments read as bytes, a close is echoed and ends reading", async () => {
  const [raw, inner] = memoryPair();
  const server = new WsStream(inner, { role: "server", pingMs: 0 });
  const key = new Uint8Array([9, 8, 7, 6]);
  await raw.write(concatBytes(
    encodeFrame(Opcode.ping, utf8("p1"), key),
    encodeFrame(Opcode.text, utf8("ab"), key, false),
    encodeFrame(Opcode.continuation, utf8("cd"), key),
  ));
  assertEquals(latin1(await readAll(server, 4)), "abcd");
  const pong = await framesUntil(raw, "client", (e) => e.kind === "pong");
  assertEquals(pong.at(-1), { kind: "pong", payload: utf8("p1") });
  await raw.write(encodeFrame(Opcode.close, new Uint8Array([0x03, 0xe8]), key));
  assertEquals(await server.read(), null);
  const close = await framesUntil(raw, "client", (e) => e.kind === "close");
  assertEquals(close.at(-1), { kind: "close", code: 1000, reason: "" });
  await assertRejects(() => server.write(utf8("late")));
  server.close();
});

Deno.test("ws layer: keep-alive pings go out on their interval", async () => {
  const [raw, inner] = memoryPair();
  const client = new WsStream(inner, { role: "client", pingMs: 5 });
  // The ping timer is unref'd (it never keeps a process alive): hold the test's event loop open.
  const hold = setInterval(() => {}, 1000);
  try {
    const seen = await framesUntil(raw, "server", (e) => e.kind === "ping");
    assertEquals(seen.at(-1)?.kind, "ping");
  } finally {
    clearInterval(hold);
    client.close();
  }
});

Deno.test("ws layer: a malformed frame fails the stream and sends a 1002 close", async () => {
  const [raw, inner] = memoryPair();
  const server = new WsStream(inner, { role: "server", pingMs: 0 });
  // Unmasked from a client: gorilla's "incorrect mask flag".
  await raw.write(encodeFrame(Opcode.binary, utf8("x")));
  const e = await assertRejects(() => server.read(), ProtocolError);
  assertEquals(e.code, "ws-frame");
  const close = await framesUntil(raw, "client", (e) => e.kind === "close");
  assertEquals(close.at(-1)?.kind === "close" && close.at(-1), {
    kind: "close",
    code: 1002,
    reason: "incorrect mask flag",
  });
  server.close();
});

Deno.test("ws layer: the server answers a wrong path with a bare 404 and nothing else", async () => {
  const [a, b] = memoryPair();
  const served = acceptWebSocket(b, PEER, { ws: ws(), trust: null });
  await a.write(
    utf8(
      "GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ),
  );
  const e = await assertRejects(() => served, ProtocolError);
  assertEquals(e.code, "ws-path");
  b.close();
  const reply = latin1(await readAll(a, 1 << 20));
  assert(
    /^HTTP\/1\.1 404 Not Found\r\nDate: [^\r]+\r\nContent-Length: 0\r\n\r\n$/.test(reply),
    reply,
  );
});

Deno.test("ws layer: garbage before the handshake gets a 400 and fails that connection", async () => {
  const [a, b] = memoryPair();
  const served = acceptWebSocket(b, PEER, { ws: ws(), trust: null });
  await a.write(utf8("\x16\x03\x01 not http at all\r\n\r\n"));
  await assertRejects(() => served, ProtocolError);
  b.close();
  assertStringIncludes(latin1(await readAll(a, 1 << 20)), "400 Bad Request");
});

Deno.test("ws layer: X-Forwarded-For becomes the source, only from trusted proxies when listed", async () => {
  const request = (xff: string) =>
    utf8(
      `GET /ray?x=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Forwarded-For: ${xff}\r\n\r\n`,
    );
  const sourceWith = async (trust: string[] | null, xff: string) => {
    const [a, b] = memoryPair();
    const served = acceptWebSocket(b, PEER, {
      ws: ws(),
      trust: forwardedForTrust(trust),
      pingMs: 0,
    });
    await a.write(request(xff));
    const { stream, source } = await served;
    stream.close();
    return source;
  };
  assertEquals(await sourceWith(null, "203.0.113.7, 10.0.0.1"), {
    address: "203.0.113.7",
    port: 0,
  });
  assertEquals(await sourceWith(["10.0.0.0/8"], "203.0.113.7"), {
    address: "203.0.113.7",
    port: 0,
  });
  assertEquals(await sourceWith(["127.0.0.1"], "203.0.113.7"), PEER);
  assertEquals(await sourceWith([], "203.0.113.7"), PEER);
  assertEquals(await sourceWith(null, "not-an-ip"), PEER);
});

for (
  const [name, settings] of [
    ["Xray's ?ed=N", ws({ xrayEarlyData: 2048 })],
    ["V2Fly's path form", ws({ maxEarlyData: 2048 })],
    [
      "V2Fly's header form",
      ws({ maxEarlyData: 2048, earlyDataHeaderName: "Sec-WebSocket-Protocol" }),
    ],
  ] as const
) {
  Deno.test(`ws layer: early data (${name}) is the first write, carried by the handshake`, async () => {
    const [a, b] = memoryPair();
    const served = acceptWebSocket(b, PEER, { ws: settings, trust: null, pingMs: 0 });
    const client = await connectWebSocket(a, { ws: settings, host: "example.com", pingMs: 0 });
    const written = client.write(utf8("first bytes"));
    // The server has the first write before the client has its 101.
    const { stream: server } = await served;
    assertEquals(latin1((await server.read())!), "first bytes");
    await written;
    await client.write(utf8("more"));
    assertEquals(latin1((await server.read())!), "more");
    await server.write(utf8("back"));
    assertEquals(latin1((await client.read())!), "back");
    client.close();
    server.close();
  });
}

Deno.test("ws layer: without early data the client waits for the 101; a refusal fails the dial", async () => {
  const [a, b] = memoryPair();
  const dial = connectWebSocket(a, { ws: ws(), host: "example.com", pingMs: 0 });
  const head = latin1((await b.read())!);
  assert(head.startsWith("GET /ray HTTP/1.1\r\nHost: example.com\r\n"), head);
  await b.write(utf8("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
  const e = await assertRejects(() => dial, ProtocolError);
  assertStringIncludes(e.message, "404");
  assert((a as MemoryStream).closed, "the transport is closed");
});

Deno.test("PROXY layer: v1 and v2 headers name the source, in any split; garbage is refused", async () => {
  const dst = { address: "192.0.2.1", port: 443 };
  const cases = [
    [encodeProxyV1({ address: "198.51.100.4", port: 5555 }, dst), "198.51.100.4", 5555],
    [
      encodeProxyV2({
        source: { address: "2001:db8::7", port: 6666 },
        destination: { address: "2001:db8::1", port: 443 },
      }),
      "2001:db8::7",
      6666,
    ],
    [encodeProxyV2({ command: "local" }), PEER.address, PEER.port],
  ] as const;
  for (const [header, address, port] of cases) {
    for (const cut of [1, 5, header.length - 1, header.length]) {
      const [a, b] = memoryPair();
      const opened = readProxyProtocol(b, PEER);
      const all = concatBytes(header, utf8("payload"));
      await a.write(all.subarray(0, cut));
      await a.write(all.subarray(cut));
      const { stream, source } = await opened;
      assertEquals(source, { address, port });
      assertEquals(latin1(await readAll(stream, 7)), "payload");
    }
  }
  const [a, b] = memoryPair();
  const opened = readProxyProtocol(b, PEER);
  await a.write(utf8("GET / HTTP/1.1\r\n\r\n"));
  const e = await assertRejects(() => opened, ProtocolError);
  assertEquals(e.code, "proxy-protocol");
});

Deno.test("HTTP header layer: the request and response heads go round; the data follows them", async () => {
  const settings = httpHeaderSettings({ path: ["/a", "/b"] });
  const [a, b] = memoryPair();
  const client = new HttpHeaderClientStream(a, settings);
  const accepting = acceptHttpHeader(b, settings);
  await client.write(utf8("ping"));
  const server = await accepting;
  assertEquals(latin1((await server.read())!), "ping");
  await server.write(utf8("pong"));
  assertEquals(latin1((await client.read())!), "pong");
  client.close();
  server.close();
});

Deno.test("HTTP header layer: a path not configured gets 4.34's 404 and fails that connection", async () => {
  const settings = httpHeaderSettings({ path: ["/a"] });
  const [a, b] = memoryPair();
  const accepting = acceptHttpHeader(b, settings);
  await a.write(utf8("GET /z HTTP/1.1\r\nHost: x\r\n\r\n"));
  await assertRejects(() => accepting, ProtocolError);
  b.close();
  const reply = latin1(await readAll(a, 1 << 20));
  assert(reply.startsWith("HTTP/1.1 404 Not Found\r\nConnection: close\r\n"), reply);
});

// A TLS server on loopback (node:tls over the accepted stream, so it needs no port of its own).
function tlsServer(cert: string, key: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    try {
      const s = await acceptTls(new TcpStream(conn), { cert, key, alpn: ["http/1.1"] });
      const got = await s.read();
      if (got) await s.write(got.slice());
      await s.closeWrite();
      s.close();
    } catch {
      // Refused: the layer has closed the connection.
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await served;
    },
  };
}

function clientOpts(over: Partial<TlsClientOptions>): TlsClientOptions {
  return {
    serverName: "test.local",
    alpn: ["http/1.1"],
    caCerts: [],
    allowInsecure: false,
    disableSystemRoot: false,
    bufferSize: 65536,
    ...over,
  };
}

// Whether a TLS client with `opts` (over a direct socket, or over a non-socket stream) gets an echo.
async function tlsEcho(port: number, opts: TlsClientOptions, chained: boolean): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const tcp = new TcpStream(conn);
  // A wrapper that is not a TcpStream: as a chained outbound's stream looks.
  const inner: ByteStream = chained
    ? {
      read: (m) => tcp.read(m),
      write: (d) => tcp.write(d),
      closeWrite: () => tcp.closeWrite(),
      close: () => tcp.close(),
    }
    : tcp;
  const s = await connectTls(inner, opts);
  try {
    await s.write(utf8("hi"));
    assertEquals(latin1((await s.read())!), "hi");
  } finally {
    s.close();
  }
}

peerTest(
  "openssl",
  "TLS layer: a trusted name connects, directly and over any stream",
  async () => {
    await using pki = await makeTestPki();
    for (const chained of [false, true]) {
      await using srv = tlsServer(pki.cert, pki.key);
      await tlsEcho(srv.port, clientOpts({ caCerts: [pki.ca] }), chained);
    }
  },
);

peerTest(
  "openssl",
  "TLS layer: a wrong name or an untrusted certificate is refused, unless allowInsecure",
  async () => {
    await using pki = await makeTestPki();
    const refused = [
      clientOpts({ caCerts: [pki.ca], serverName: "wrong.example" }),
      clientOpts({ caCerts: [pki.otherCa] }),
      clientOpts({}),
    ];
    for (const opts of refused) {
      for (const chained of [false, true]) {
        await using srv = tlsServer(pki.cert, pki.key);
        const e = await assertRejects(() => tlsEcho(srv.port, opts, chained));
        assertStringIncludes(e.message, "TLS with");
      }
    }
    for (const opts of refused) {
      await using srv = tlsServer(pki.cert, pki.key);
      await tlsEcho(srv.port, { ...opts, allowInsecure: true }, false);
    }
  },
);

peerTest(
  "openssl",
  "TLS layer: disableSystemRoot trusts the configured certificates only",
  async () => {
    await using pki = await makeTestPki();
    {
      await using srv = tlsServer(pki.cert, pki.key);
      await tlsEcho(srv.port, clientOpts({ caCerts: [pki.ca], disableSystemRoot: true }), false);
    }
    await using srv = tlsServer(pki.cert, pki.key);
    await assertRejects(() =>
      tlsEcho(srv.port, clientOpts({ caCerts: [pki.otherCa], disableSystemRoot: true }), false)
    );
  },
);

function stack(over: Partial<StreamSettings>): StreamSettings {
  return { ...PLAIN_TCP, ...over } as StreamSettings;
}

peerTest(
  "openssl",
  "listen stack: PROXY protocol then TLS (node:tls after the header); the header's address is the source",
  async () => {
    await using pki = await makeTestPki();
    const s = stack({
      acceptProxyProtocol: true,
      tls: {
        serverName: null,
        alpn: null,
        allowInsecure: false,
        disableSystemRoot: false,
        enableSessionResumption: false,
        certificates: [{
          certificate: { inline: pki.cert },
          key: { inline: pki.key },
          usage: "encipherment",
        }],
      },
    });
    const built = buildListenStack(s, { bufferSize: 65536 });
    const listener = built.listen("127.0.0.1", 0);
    try {
      const port = (listener.addr as Deno.NetAddr).port;
      const client = (async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(
          encodeProxyV1({ address: "203.0.113.9", port: 1234 }, { address: "127.0.0.1", port }),
        );
        const tls = await Deno.startTls(conn, { hostname: "test.local", caCerts: [pki.ca] });
        await tls.write(utf8("over tls"));
        await tls.closeWrite();
        const buf = new Uint8Array(16);
        const n = await tls.read(buf);
        tls.close();
        return n === null ? "" : latin1(buf.subarray(0, n));
      })();
      const conn = await listener.accept();
      const { stream, source } = await built.open(conn);
      assertEquals(source, { address: "203.0.113.9", port: 1234 });
      assertEquals(latin1(await readAll(stream, 8)), "over tls");
      await stream.write(utf8("ok"));
      await stream.closeWrite();
      assertEquals(await client, "ok");
      stream.close();
    } finally {
      listener.close();
    }
  },
);
