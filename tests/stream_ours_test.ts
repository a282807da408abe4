/**
 * denoray ↔ denoray over every stream layer: ws, ws+tls, tcp+tls and the TCP HTTP header, the
 * three early-data forms, a chained outbound under TLS + WebSocket; 1 MiB each way, checksummed.
 * Early data is shown to carry the VMess header in the handshake (the server dials the target
 * before the client has its 101); bad input closes only its own connection.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { makeTestPki, type TestPki } from "./helpers/certs.ts";
import { EchoServer, freePort } from "./helpers/net.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { peerTest } from "./helpers/peer.ts";
import {
  clientStream,
  echoThrough,
  serverStream,
  TLS_NAME,
  TRANSPORT_ID,
  VARIANTS,
  vmessClientConfig,
  vmessServerConfig,
} from "./helpers/transport.ts";
import { concatBytes, utf8 } from "../lib/core/bytes.ts";
import { latin1 } from "../lib/http/mod.ts";
import { decodeBase64Lenient } from "../lib/ws/mod.ts";
import { encodeFrame, Opcode } from "../lib/ws/mod.ts";

for (const variant of VARIANTS) {
  peerTest("openssl", `ours ↔ ours: ${variant}, 1 MiB each way`, async () => {
    await using pki = await makeTestPki();
    await using echo = new EchoServer();
    await using server = await RunningInstance.start(
      vmessServerConfig(0, serverStream(variant, pki)),
    );
    await using client = await RunningInstance.start(
      vmessClientConfig(0, echo.port, server.port(), clientStream(variant, pki)),
    );
    await echoThrough(client.port());
  });
}

const EARLY_DATA = [
  ["Xray's path ?ed=2048", "/ray?ed=2048", {}],
  ["V2Fly's maxEarlyData (path form)", "/ray", { maxEarlyData: 2048 }],
  ["V2Fly's earlyDataHeaderName", "/ray", {
    maxEarlyData: 2048,
    earlyDataHeaderName: "Sec-WebSocket-Protocol",
  }],
] as const;

for (const [name, path, ws] of EARLY_DATA) {
  for (const variant of ["ws", "ws+tls"] as const) {
    peerTest(
      "openssl",
      `ours ↔ ours: ${variant} with early data (${name}), 1 MiB each way`,
      async () => {
        await using pki = await makeTestPki();
        await using echo = new EchoServer();
        const server = serverStream(variant, pki) as { wsSettings: Record<string, unknown> };
        // The V2Fly forms need the server told; Xray's is always accepted.
        server.wsSettings = { ...server.wsSettings, ...ws };
        await using srv = await RunningInstance.start(vmessServerConfig(0, server));
        await using client = await RunningInstance.start(
          vmessClientConfig(0, echo.port, srv.port(), clientStream(variant, pki, path, ws)),
        );
        await echoThrough(client.port());
      },
    );
  }
}

// A TCP relay that passes the client's bytes on at once but holds the server's first reply until
// `release` settles; it records what the client sent before that reply.
function holdingRelay(serverPort: number, release: Promise<unknown>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sentBeforeReply: Uint8Array[] = [];
  const conns: Deno.Conn[] = [];
  let replied = false;
  const task = (async () => {
    const a = await listener.accept();
    const b = await Deno.connect({ hostname: "127.0.0.1", port: serverPort });
    conns.push(a, b);
    const up = (async () => {
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await a.read(buf).catch(() => null);
        if (n === null) break;
        if (!replied) sentBeforeReply.push(buf.slice(0, n));
        await b.write(buf.subarray(0, n)).catch(() => {});
      }
    })();
    const down = (async () => {
      const buf = new Uint8Array(65536);
      let first = true;
      for (;;) {
        const n = await b.read(buf).catch(() => null);
        if (n === null) break;
        if (first) {
          first = false;
          await release;
          replied = true;
        }
        await a.write(buf.subarray(0, n)).catch(() => {});
      }
    })();
    await Promise.race([up, down]);
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    sentBeforeReply,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
      await task;
    },
  };
}

Deno.test("ours ↔ ours: with early data the VMess header travels in the upgrade request (no extra round trip)", async () => {
  // The target: resolves `accepted` when the server dials it, then echoes.
  const target = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = target.accept();
  await using server = await RunningInstance.start(
    vmessServerConfig(0, { network: "ws", wsSettings: { path: "/ray" } }),
  );
  // The server's 101 reaches the client only after the server has dialled the target: so the
  // server had the VMess request (header and destination) from the upgrade request alone.
  await using relay = holdingRelay(server.port(), accepted);
  await using client = await RunningInstance.start(
    vmessClientConfig(0, target.addr.port, relay.port, {
      network: "ws",
      wsSettings: { path: "/ray?ed=2048" },
    }),
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
  let targetConn: Deno.Conn | undefined;
  try {
    await conn.write(utf8("hello"));
    targetConn = await accepted;
    const buf = new Uint8Array(16);
    const n = await targetConn.read(buf);
    assertEquals(latin1(buf.subarray(0, n ?? 0)), "hello");
    await targetConn.write(utf8("world"));
    const m = await conn.read(buf);
    assertEquals(latin1(buf.subarray(0, m ?? 0)), "world");
    // Before the reply the client sent exactly one request head, carrying its first write.
    const sent = latin1(concatBytes(...relay.sentBeforeReply));
    assert(sent.startsWith("GET /ray HTTP/1.1\r\n"), sent);
    assert(sent.endsWith("\r\n\r\n"), "nothing but the request head before the 101");
    const ed = /\r\nSec-WebSocket-Protocol: ([^\r]+)\r\n/.exec(sent)?.[1] ?? "";
    const carried = decodeBase64Lenient(ed);
    // The AEAD request header alone is over 60 bytes: it is in there.
    assert(carried !== null && carried.length > 60, `early data of ${carried?.length} bytes`);
  } finally {
    conn.close();
    targetConn?.close();
    target.close();
  }
});

peerTest(
  "openssl",
  "ours ↔ ours: a chained outbound carries TLS + WebSocket over another VMess tunnel",
  async () => {
    await using pki = await makeTestPki();
    await using echo = new EchoServer();
    await using hop = await RunningInstance.start(vmessServerConfig(0, { network: "tcp" }));
    await using server = await RunningInstance.start(
      vmessServerConfig(0, serverStream("ws+tls", pki)),
    );
    const config = vmessClientConfig(
      0,
      echo.port,
      server.port(),
      clientStream("ws+tls", pki),
    ) as { outbounds: Record<string, unknown>[] };
    config.outbounds[0].proxySettings = { tag: "hop" };
    config.outbounds.push({
      tag: "hop",
      protocol: "vmess",
      settings: {
        vnext: [{ address: "127.0.0.1", port: hop.port(), users: [{ id: TRANSPORT_ID }] }],
      },
    });
    await using client = await RunningInstance.start(config);
    await echoThrough(client.port());
  },
);

// The bytes a raw client gets back for `request`, up to the server's close.
async function rawExchange(port: number, request: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(request);
    const parts: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      parts.push(buf.slice(0, n));
    }
    return latin1(concatBytes(...parts));
  } finally {
    conn.close();
  }
}

const UPGRADE = (path: string) =>
  utf8(
    `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );

Deno.test("ours: a wrong WebSocket path gets a bare 404 and nothing else; garbage in frames closes that connection only", async () => {
  await using echo = new EchoServer();
  await using server = await RunningInstance.start(
    vmessServerConfig(0, { network: "ws", wsSettings: { path: "/ray" } }),
  );
  const reply = await rawExchange(server.port(), UPGRADE("/wrong"));
  assert(
    /^HTTP\/1\.1 404 Not Found\r\nDate: [^\r]+\r\nContent-Length: 0\r\n\r\n$/.test(reply),
    reply,
  );
  const garbage = await rawExchange(server.port(), utf8("\x00\x01\x02garbage\r\n\r\n"));
  assertStringIncludes(garbage, "400 Bad Request");

  // One tunnel open while another connection sends a malformed frame (unmasked from a client).
  await using client = await RunningInstance.start(
    vmessClientConfig(0, echo.port, server.port(), { network: "ws", wsSettings: { path: "/ray" } }),
  );
  const tunnel = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
  try {
    await tunnel.write(utf8("before"));
    const buf = new Uint8Array(64);
    assertEquals(latin1(buf.subarray(0, (await tunnel.read(buf)) ?? 0)), "before");
    const bad = await rawExchange(
      server.port(),
      concatBytes(UPGRADE("/ray"), encodeFrame(Opcode.binary, utf8("not masked"))),
    );
    assert(bad.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), bad);
    // After the 101: gorilla's 1002 close for the bad frame, then the end.
    assertStringIncludes(bad, "incorrect mask flag");
    await tunnel.write(utf8("after"));
    assertEquals(latin1(buf.subarray(0, (await tunnel.read(buf)) ?? 0)), "after");
  } finally {
    tunnel.close();
  }
});

async function tlsClientOutcome(
  pki: TestPki,
  tlsSettings: Record<string, unknown>,
): Promise<"ok" | "refused"> {
  await using echo = new EchoServer();
  await using server = await RunningInstance.start(
    vmessServerConfig(0, serverStream("ws+tls", pki)),
  );
  await using client = await RunningInstance.start(
    vmessClientConfig(0, echo.port, server.port(), {
      network: "ws",
      wsSettings: { path: "/ray" },
      security: "tls",
      tlsSettings,
    }),
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
  try {
    await conn.write(utf8("x"));
    const buf = new Uint8Array(8);
    const n = await conn.read(buf).catch(() => null);
    return n === 1 ? "ok" : "refused";
  } finally {
    conn.close();
  }
}

peerTest(
  "openssl",
  "ours: TLS with a wrong name or an untrusted certificate is refused, and accepted with allowInsecure",
  async () => {
    await using pki = await makeTestPki();
    const trust = { certificates: [{ certificate: pki.ca.trim().split("\n"), usage: "verify" }] };
    assertEquals(await tlsClientOutcome(pki, { serverName: TLS_NAME, ...trust }), "ok");
    assertEquals(await tlsClientOutcome(pki, { serverName: "wrong.example", ...trust }), "refused");
    assertEquals(await tlsClientOutcome(pki, { serverName: TLS_NAME }), "refused");
    assertEquals(
      await tlsClientOutcome(pki, { serverName: "wrong.example", allowInsecure: true }),
      "ok",
    );
    assertEquals(await tlsClientOutcome(pki, { serverName: TLS_NAME, allowInsecure: true }), "ok");
  },
);

Deno.test("ours: a WebSocket server that cannot be reached closes the client's connection", async () => {
  const dead = freePort();
  await using client = await RunningInstance.start(
    vmessClientConfig(0, 9, dead, { network: "ws", wsSettings: { path: "/ray" } }),
  );
  const reply = await rawExchange(client.port(), utf8("x"));
  assertEquals(reply, "");
});
