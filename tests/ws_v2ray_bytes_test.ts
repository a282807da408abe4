/**
 * Known answers from the real V2Ray 4.34: the bytes its WebSocket and TCP HTTP-header client send
 * and its servers answer, compared with what lib/ws and lib/http_header build.
 */
import { assert, assertEquals } from "./assert.ts";
import { freePort } from "./helpers/net.ts";
import { peerTest } from "./helpers/peer.ts";
import { V2Ray } from "./helpers/v2ray.ts";
import { concatBytes } from "../lib/core/bytes.ts";
import {
  findHeadEnd,
  headerValue,
  latin1,
  latin1Bytes,
  parseRequestHead,
} from "../lib/http/mod.ts";
import {
  buildUpgradeRequest,
  checkUpgradeResponse,
  clientKey,
  defaultHost,
  FrameDecoder,
  upgradeReply,
} from "../lib/ws/mod.ts";
import { errorResponse, httpHeaderSettings, requestHead } from "../lib/http_header/mod.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";

/** Reads from `conn` until a head is complete (or EOF); returns everything read. */
async function readHead(conn: Deno.Conn): Promise<Uint8Array> {
  let got: Uint8Array = new Uint8Array(0);
  const buf = new Uint8Array(16384);
  while (findHeadEnd(got) < 0) {
    const n = await conn.read(buf);
    if (n === null) break;
    got = concatBytes(got, buf.subarray(0, n));
  }
  return got;
}

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  let got: Uint8Array = new Uint8Array(0);
  const buf = new Uint8Array(16384);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    got = concatBytes(got, buf.subarray(0, n));
  }
  return got;
}

// A v2ray client: dokodemo-door on `inPort` → vmess to 127.0.0.1:`target` over `streamSettings`.
function clientConfig(inPort: number, target: number, streamSettings: unknown) {
  return {
    log: { loglevel: "warning" },
    inbounds: [{
      listen: "127.0.0.1",
      port: inPort,
      protocol: "dokodemo-door",
      settings: { address: "example.com", port: 80, network: "tcp" },
    }],
    outbounds: [{
      protocol: "vmess",
      settings: { vnext: [{ address: "127.0.0.1", port: target, users: [{ id: ID }] }] },
      streamSettings,
    }],
  };
}

function serverConfig(port: number, streamSettings: unknown) {
  return {
    log: { loglevel: "warning" },
    inbounds: [{
      listen: "127.0.0.1",
      port,
      protocol: "vmess",
      settings: { clients: [{ id: ID }] },
      streamSettings,
    }],
    outbounds: [{ protocol: "freedom" }],
  };
}

// Captures the first bytes v2ray's client sends to a listener of ours.
async function captureClient(
  streamSettings: unknown,
  answer: (head: Uint8Array, conn: Deno.Conn) => Promise<Uint8Array | null>,
): Promise<{ head: Uint8Array; port: number; after: Uint8Array }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const inPort = freePort();
  await using _v2ray = await V2Ray.start(clientConfig(inPort, port, streamSettings), [inPort]);
  const app = await Deno.connect({ hostname: "127.0.0.1", port: inPort });
  try {
    await app.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"));
    // v2ray also dials for the readiness probe's connection, which carries no data: skip it.
    for (let attempt = 0;; attempt++) {
      if (attempt === 4) throw new Error("v2ray never sent its data");
      const conn = await listener.accept();
      try {
        const head = await readHead(conn);
        const after = head.length > 0 ? await answer(head, conn) : null;
        if (after !== null) return { head, port, after };
      } finally {
        conn.close();
      }
    }
  } finally {
    app.close();
    listener.close();
  }
}

peerTest(
  "v2ray",
  "4.34's WebSocket client request is byte for byte what buildUpgradeRequest makes",
  async () => {
    const ws = { path: "/ray", headers: { "x-custom": "1" } };
    const { head, port, after } = await captureClient(
      { network: "ws", wsSettings: ws },
      async (h, conn) => {
        const key = headerValue(
          parseRequestHead(h.subarray(0, findHeadEnd(h))).headers,
          "Sec-WebSocket-Key",
        )!;
        await conn.write(upgradeReply(key));
        // Its first frame: masked binary, read by our server-side decoder (the readiness
        // probe's connection gets a close frame instead).
        const buf = new Uint8Array(65536);
        const n = await conn.read(buf);
        if (n === null) return null;
        const events = new FrameDecoder("server").push(buf.slice(0, n));
        return events.some((e) => e.kind === "close") ? null : buf.slice(0, n);
      },
    );
    const req = parseRequestHead(head.subarray(0, findHeadEnd(head)));
    const key = headerValue(req.headers, "Sec-WebSocket-Key")!;
    assertEquals(atob(key).length, 16);
    const ours = buildUpgradeRequest(
      { path: "/ray", headers: [["x-custom", "1"]] },
      defaultHost("127.0.0.1", port, false),
      key,
    );
    assertEquals(latin1(head.subarray(0, findHeadEnd(head))), latin1(ours.bytes));
    assert(after.length > 0);
    const events = new FrameDecoder("server").push(after);
    assert(events.length > 0 && events.every((e) => e.kind === "data"));
  },
);

peerTest(
  "v2ray",
  "4.34's WebSocket server answers our request with exactly upgradeReply, and a wrong path with a bare 404",
  async () => {
    const port = freePort();
    await using _v2ray = await V2Ray.start(
      serverConfig(port, { network: "ws", wsSettings: { path: "/ray" } }),
      [port],
    );
    const key = clientKey(crypto.getRandomValues(new Uint8Array(16)));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(
        buildUpgradeRequest({ path: "/ray?x=1", headers: [] }, `127.0.0.1:${port}`, key).bytes,
      );
      const reply = await readHead(conn);
      assertEquals(latin1(reply), latin1(upgradeReply(key)));
      assertEquals(checkUpgradeResponse(reply, key)?.used, reply.length);
    } finally {
      conn.close();
    }
    const bad = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await bad.write(buildUpgradeRequest({ path: "/other", headers: [] }, "h", key).bytes);
      const reply = latin1(await readHead(bad));
      assertEquals(
        reply.replace(/Date: [^\r]*/, "Date: X"),
        "HTTP/1.1 404 Not Found\r\nDate: X\r\nContent-Length: 0\r\n\r\n",
      );
    } finally {
      bad.close();
    }
  },
);

peerTest(
  "v2ray",
  "4.34's TCP HTTP-header client sends one of the heads requestHead makes",
  async () => {
    const { head } = await captureClient(
      { tcpSettings: { header: { type: "http" } } },
      (h) => Promise.resolve(h),
    );
    const sent = latin1(head.subarray(0, findHeadEnd(head)));
    const s = httpHeaderSettings();
    const candidates = [0, 1, 2, 3].map((bits) => {
      let call = 0;
      return latin1(requestHead(s, () => (bits >> call++) & 1));
    });
    assert(candidates.includes(sent), `unexpected head:\n${sent}`);
  },
);

peerTest(
  "v2ray",
  "4.34's TCP HTTP-header server answers a wrong path with errorResponse(404)'s bytes",
  async () => {
    const port = freePort();
    const tcpSettings = { header: { type: "http", request: { path: ["/a"] } } };
    await using _v2ray = await V2Ray.start(serverConfig(port, { tcpSettings }), [port]);
    // A wrong path: 4.34 writes its canned 404 as it closes.
    const bad = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await bad.write(latin1Bytes("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
      const got = latin1(await readAll(bad)).replace(/Date: [^\r]*/, "Date: X");
      const ours = latin1(errorResponse(404, new Date())).replace(/Date: [^\r]*/, "Date: X");
      assertEquals(got, ours);
      assertEquals(
        got,
        "HTTP/1.1 404 Not Found\r\nConnection: close\r\nCache-Control: private\r\nContent-Length: 0\r\nDate: X\r\n\r\n",
      );
    } finally {
      bad.close();
    }
  },
);
