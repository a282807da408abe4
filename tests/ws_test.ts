import fc from "fast-check";
import { fuzzParams } from "./helpers/fuzz.ts";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { ProtocolError } from "../lib/core/errors.ts";
import { concatBytes, fromHex, toHex, utf8 } from "../lib/core/bytes.ts";
import {
  acceptKey,
  applyMask,
  base64RawUrl,
  buildUpgradeRequest,
  checkUpgradeResponse,
  clientKey,
  closePayload,
  controlReply,
  decodeBase64Lenient,
  defaultHost,
  encodeFrame,
  FrameDecoder,
  Opcode,
  protocolErrorClose,
  serverHandshake,
  type WsClientOptions,
  type WsEvent,
  type WsServerHandshake,
} from "../lib/ws/mod.ts";
import { latin1, latin1Bytes } from "../lib/http/mod.ts";

const NOW = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
const DATE = "Tue, 02 Jan 2024 03:04:05 GMT";

function dataOf(events: WsEvent[]): Uint8Array {
  return concatBytes(...events.flatMap((e) => (e.kind === "data" ? [e.bytes] : [])));
}

/** Splits `b` at the given cut points (sorted, deduplicated, within range). */
function splitAt(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(b.slice(last, p));
    last = p;
  }
  out.push(b.slice(last));
  return out;
}

function decodeAll(role: "server" | "client", pieces: Uint8Array[]): WsEvent[] {
  const d = new FrameDecoder(role);
  // Copy data events at once: views are only valid while the pushed array is kept.
  return pieces.flatMap((p) =>
    d.push(p).map((e) => (e.kind === "data" ? { kind: "data", bytes: e.bytes.slice() } : e))
  );
}

// RFC 6455 §5.7 examples.
Deno.test("frames: RFC 6455 §5.7 known answers, both ways", () => {
  const hello = utf8("Hello");
  assertEquals(toHex(encodeFrame(Opcode.text, hello)), "810548656c6c6f");
  const mask = fromHex("37fa213d");
  assertEquals(toHex(encodeFrame(Opcode.text, hello, mask)), "818537fa213d7f9f4d5158");
  assertEquals(toHex(encodeFrame(Opcode.ping, hello)), "890548656c6c6f");
  assertEquals(toHex(encodeFrame(Opcode.pong, hello, mask)), "8a8537fa213d7f9f4d5158");
  assertEquals(
    toHex(encodeFrame(Opcode.binary, new Uint8Array(256)).subarray(0, 4)),
    "827e0100",
  );
  assertEquals(
    toHex(encodeFrame(Opcode.binary, new Uint8Array(65536)).subarray(0, 10)),
    "827f0000000000010000",
  );
  // Read back: the masked text at a server, the fragmented unmasked text at a client.
  assertEquals(
    decodeAll("server", [fromHex("818537fa213d7f9f4d5158")]),
    [{ kind: "data", bytes: hello }],
  );
  const frag = decodeAll("client", [fromHex("010348656c"), fromHex("80026c6f")]);
  assertEquals(latin1(dataOf(frag)), "Hello");
  assertEquals(decodeAll("client", [fromHex("890548656c6c6f")]), [
    { kind: "ping", payload: hello },
  ]);
});

Deno.test("frames: 16- and 64-bit lengths read back at both roles", () => {
  for (const n of [0, 1, 125, 126, 65535, 65536, 70000]) {
    const payload = new Uint8Array(n).map((_, i) => i * 7);
    const mask = fromHex("01020304");
    assertEquals(dataOf(decodeAll("server", [encodeFrame(Opcode.binary, payload, mask)])), payload);
    assertEquals(dataOf(decodeAll("client", [encodeFrame(Opcode.binary, payload)])), payload);
  }
});

const frameSpec = fc.record({
  opcode: fc.constantFrom(Opcode.text, Opcode.binary),
  parts: fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 3 }),
  ping: fc.boolean(),
});

Deno.test("frames: property: messages, fragments and pings in any split read as one byte stream", () => {
  fc.assert(
    fc.property(
      fc.array(frameSpec, { maxLength: 6 }),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      (messages, masked, cuts, mask) => {
        const wire: Uint8Array[] = [];
        const expected: Uint8Array[] = [];
        let pings = 0;
        for (const m of messages) {
          m.parts.forEach((p, i) => {
            const op = i === 0 ? m.opcode : Opcode.continuation;
            wire.push(encodeFrame(op, p, masked ? mask : undefined, i === m.parts.length - 1));
            expected.push(p);
            // A control frame may sit between the fragments of a message.
            if (m.ping && i === 0) {
              wire.push(encodeFrame(Opcode.ping, utf8("p"), masked ? mask : undefined));
              pings++;
            }
          });
        }
        const all = concatBytes(...wire);
        const events = decodeAll(masked ? "server" : "client", splitAt(all, cuts));
        assertEquals(dataOf(events), concatBytes(...expected));
        assertEquals(events.filter((e) => e.kind === "ping").length, pings);
      },
    ),
    fuzzParams({ numRuns: 300 }),
  );
});

Deno.test("frames: control replies: ping → pong, close → echo of the code; after close bytes are ignored", () => {
  const d = new FrameDecoder("client");
  const events = d.push(
    concatBytes(
      encodeFrame(Opcode.ping, utf8("hi")),
      encodeFrame(Opcode.close, closePayload(1001, "bye")),
      utf8("garbage after close"),
    ),
  );
  assertEquals(events.length, 2);
  const mask = fromHex("00000000");
  assertEquals(
    toHex(controlReply(events[0], mask)!),
    toHex(encodeFrame(Opcode.pong, utf8("hi"), mask)),
  );
  assertEquals(events[1], { kind: "close", code: 1001, reason: "bye" });
  assertEquals(toHex(controlReply(events[1])!), "880203e9");
  assert(d.closed);
  // An empty close (no status) is echoed empty.
  const e2 = new FrameDecoder("server").push(encodeFrame(Opcode.close, new Uint8Array(0), mask));
  assertEquals(e2, [{ kind: "close", code: null, reason: "" }]);
  assertEquals(toHex(controlReply(e2[0])!), "8800");
});

const MALFORMED: [string, string, "server" | "client"][] = [
  ["c281", "reserved bits", "client"], // RSV1
  ["8300", "unknown opcode 3", "client"],
  ["8b00", "unknown opcode 11", "client"],
  ["897e007e" + "00".repeat(126), "control frame length > 125", "client"],
  ["0900", "control frame not final", "client"],
  ["8000", "continuation after final message frame", "client"],
  ["02008200", "message start before final message frame", "client"],
  ["8200", "incorrect mask flag", "server"], // unmasked to a server
  ["828000000000", "incorrect mask flag", "client"], // masked to a client
  ["827f8000000000000000", "top bit set", "client"],
  ["827f0000000001000001", "over the", "client"],
  ["880203ed", "invalid close code", "client"], // 1005 may not be sent
  ["880303e8ff", "invalid utf8", "client"],
];

Deno.test("frames: every malformed frame is a ProtocolError 'ws-frame', and stays one", () => {
  for (const [hex, what, role] of MALFORMED) {
    const d = new FrameDecoder(role);
    const e = assertThrows(() => d.push(fromHex(hex)), ProtocolError, what);
    assertEquals(e.code, "ws-frame");
    // The same error again on the next push.
    assertThrows(() => d.push(fromHex("8200")), ProtocolError, what);
    // The close frame gorilla sends for it: 1002 and the reason.
    assertEquals(
      toHex(protocolErrorClose(e).subarray(0, 4)),
      toHex(fromHex("88")).concat(
        (2 + utf8(e.message.replace("websocket: ", "")).length).toString(16).padStart(2, "0"),
        "03ea",
      ),
    );
  }
  // Byte by byte, too.
  for (const [hex, what, role] of MALFORMED) {
    const d = new FrameDecoder(role);
    assertThrows(
      () => {
        for (const b of fromHex(hex)) d.push(Uint8Array.of(b));
      },
      ProtocolError,
      what,
    );
  }
});

Deno.test("frames: property: random bytes only ever give events or a ProtocolError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, server) => {
      const d = new FrameDecoder(server ? "server" : "client", { maxFramePayload: 1000 });
      try {
        d.push(bytes);
      } catch (e) {
        assert(e instanceof ProtocolError, `not a ProtocolError: ${e}`);
      }
    }),
    fuzzParams({ numRuns: 2000 }),
  );
});

Deno.test("base64: RawURL out; std, url, padded or not in; garbage refused", () => {
  assertEquals(base64RawUrl(fromHex("fbff")), "-_8");
  assertEquals(base64RawUrl(utf8("hello")), "aGVsbG8");
  for (const s of ["-_8", "+/8", "+/8=", "-_8="]) {
    assertEquals(toHex(decodeBase64Lenient(s)!), "fbff");
  }
  for (const s of ["a", "ab cd", "ab,c", "é"]) assertEquals(decodeBase64Lenient(s), null);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
    assertEquals(decodeBase64Lenient(base64RawUrl(b)), b);
    assertEquals(decodeBase64Lenient(btoa(String.fromCharCode(...b))), b);
  }));
});

Deno.test("accept key: RFC 6455 §1.3 known answer; client key from 16 bytes", () => {
  assertEquals(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  assertEquals(clientKey(fromHex("000102030405060708090a0b0c0d0e0f")), "AAECAwQFBgcICQoLDA0ODw==");
});

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

function request(path: string, extra: string[] = [], method = "GET"): Uint8Array {
  return latin1Bytes(
    [
      `${method} ${path} HTTP/1.1`,
      "Host: example.com",
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${KEY}`,
      "Sec-WebSocket-Version: 13",
      ...extra,
      "",
      "",
    ].join("\r\n"),
  );
}

function upgrade(h: WsServerHandshake | null) {
  assert(
    h?.kind === "upgrade",
    `expected an upgrade, got ${h?.kind} ${h && "error" in h ? h.error.message : ""}`,
  );
  return h;
}

Deno.test("server handshake: the 101 exactly as 4.34 writes it; bytes after the head are frames", () => {
  const frame = encodeFrame(Opcode.binary, utf8("x"), fromHex("01020304"));
  const req = request("/ws?x=1", ["X-Forwarded-For: 203.0.113.9, 10.0.0.1"]);
  const h = upgrade(serverHandshake(concatBytes(req, frame), { path: "/ws" }, NOW));
  assertEquals(
    latin1(h.reply),
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
  );
  assertEquals(h.used, req.length);
  assertEquals(h.earlyData.length, 0);
  assertEquals(h.forwardedFor, "203.0.113.9");
  assertEquals(h.request.path, "/ws");
});

Deno.test("server handshake: null until the head is complete, at any split", () => {
  const req = request("/ws");
  for (let i = 0; i < req.length; i++) {
    assertEquals(serverHandshake(req.subarray(0, i), { path: "/ws" }, NOW), null);
  }
  upgrade(serverHandshake(req, { path: "/ws" }, NOW));
});

function rejected(h: WsServerHandshake | null, status: number): string {
  assert(h?.kind === "reject", `expected a reject, got ${h?.kind}`);
  assertEquals(h.status, status);
  return latin1(h.reply);
}

Deno.test("server handshake: wrong path → bare 404 whatever else is wrong", () => {
  for (
    const req of [request("/other"), request("/ws/"), request("/WS"), request("/other", [], "POST")]
  ) {
    assertEquals(
      rejected(serverHandshake(req, { path: "/ws" }, NOW), 404),
      `HTTP/1.1 404 Not Found\r\nDate: ${DATE}\r\nContent-Length: 0\r\n\r\n`,
    );
  }
  // The path is compared decoded, as Go's URL.Path.
  upgrade(serverHandshake(request("/w%73"), { path: "/ws" }, NOW));
});

Deno.test("server handshake: gorilla's checks, statuses and order", () => {
  const cases: [string, number, string][] = [
    [
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: k\r\n\r\n",
      400,
      "Connection",
    ],
    [
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: h2c\r\nSec-WebSocket-Key: k\r\n\r\n",
      400,
      "Upgrade",
    ],
    [
      "POST /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
      405,
      "GET",
    ],
    [
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: WebSocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: k\r\n\r\n",
      400,
      "version",
    ],
    [
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
      400,
      "Sec-WebSocket-Key",
    ],
  ];
  for (const [text, status, what] of cases) {
    const h = serverHandshake(latin1Bytes(text), { path: "/ws" }, NOW);
    assert(h?.kind === "reject");
    assert(h.error.message.includes(what), h.error.message);
    const body = status === 405 ? "Method Not Allowed\n" : "Bad Request\n";
    assertEquals(
      rejected(h, status),
      `HTTP/1.1 ${status} ${status === 405 ? "Method Not Allowed" : "Bad Request"}\r\n` +
        "Content-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\n" +
        `X-Content-Type-Options: nosniff\r\nDate: ${DATE}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  }
});

Deno.test("server handshake: bad heads get Go's 400, an endless head 431", () => {
  const goBad = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n" +
    "Connection: close\r\n\r\n400 Bad Request";
  for (
    const text of [
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", // a TLS ClientHello, cut
      "GET /ws\r\nHost: h\r\n\r\n",
      "GET /ws HTTP/1.1\r\n\r\n", // no Host
      "GET /ws HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET /ws HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
      "GET /ws HTTP/1.1\r\nHost h\r\n\r\n",
      "GET ws HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /w%zz HTTP/1.1\r\nHost: h\r\n\r\n",
    ]
  ) {
    assertEquals(rejected(serverHandshake(latin1Bytes(text), { path: "/ws" }, NOW), 400), goBad);
  }
  const long = latin1Bytes("GET /ws HTTP/1.1\r\nHost: h\r\nX: " + "a".repeat(20000));
  assertEquals(
    rejected(serverHandshake(long, { path: "/ws" }, NOW), 431),
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n" +
      "Connection: close\r\n\r\n431 Request Header Fields Too Large",
  );
});

Deno.test("server handshake: property: random bytes never throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.string(), (bytes, tail) => {
      const h = serverHandshake(
        concatBytes(bytes, utf8(tail), utf8("\r\n\r\n")),
        { path: "/ws", maxEarlyData: 2048 },
        NOW,
      );
      assert(h !== null && (h.kind === "reject" || h.kind === "upgrade"));
    }),
    fuzzParams({ numRuns: 1000 }),
  );
});

Deno.test("server handshake: X-Forwarded-For takes the first entry only if it is an IP", () => {
  const xff = (v: string) =>
    upgrade(serverHandshake(request("/ws", [`X-Forwarded-For: ${v}`]), { path: "/ws" }, NOW))
      .forwardedFor;
  assertEquals(xff("2001:db8::1, 10.0.0.1"), "2001:db8::1");
  assertEquals(xff("[2001:db8::2]"), "2001:db8::2");
  assertEquals(xff("::ffff:1.2.3.4"), "1.2.3.4");
  assertEquals(xff("unknown, 1.2.3.4"), null);
  assertEquals(xff(""), null);
});

Deno.test("server handshake: Xray's early data in Sec-WebSocket-Protocol, std or url, echoed", () => {
  const ed = fromHex("fbff00ff10");
  for (const form of [base64RawUrl(ed), btoa(String.fromCharCode(...ed)), "-_8A_xA="]) {
    const h = upgrade(
      serverHandshake(request("/ws", [`Sec-WebSocket-Protocol: ${form}`]), { path: "/ws" }, NOW),
    );
    assertEquals(h.earlyData, ed);
    assert(latin1(h.reply).endsWith(`Sec-WebSocket-Protocol: ${form}\r\n\r\n`));
  }
  // Not base64: no early data, nothing echoed (4.34 ignores the header).
  const h = upgrade(
    serverHandshake(
      request("/ws", ["Sec-WebSocket-Protocol: chat, superchat"]),
      { path: "/ws" },
      NOW,
    ),
  );
  assertEquals(h.earlyData.length, 0);
  assert(!latin1(h.reply).includes("Sec-WebSocket-Protocol"));
});

Deno.test("server handshake: V2Fly's path-suffix form only with maxEarlyData, header form with its name", () => {
  const ed = utf8("vmess header bytes");
  const suffixed = request("/ws" + base64RawUrl(ed));
  assertEquals(
    upgrade(serverHandshake(suffixed, { path: "/ws", maxEarlyData: 2048 }, NOW)).earlyData,
    ed,
  );
  rejected(serverHandshake(suffixed, { path: "/ws" }, NOW), 404);
  // The exact path still works in path mode, and an undecodable suffix is another path.
  upgrade(serverHandshake(request("/ws?a=b"), { path: "/ws", maxEarlyData: 2048 }, NOW));
  rejected(serverHandshake(request("/ws!!"), { path: "/ws", maxEarlyData: 2048 }, NOW), 404);
  const opts = { path: "/ws", maxEarlyData: 2048, earlyDataHeaderName: "X-Ed" };
  const h = upgrade(serverHandshake(request("/ws", [`x-ed: ${base64RawUrl(ed)}`]), opts, NOW));
  assertEquals(h.earlyData, ed);
  assert(!latin1(h.reply).includes("Sec-WebSocket-Protocol"));
  rejected(serverHandshake(suffixed, opts, NOW), 404);
  rejected(serverHandshake(request("/ws", ["X-Ed: !!!"]), opts, NOW), 404);
});

const CLIENT: WsClientOptions = { path: "/ray", headers: [] };

Deno.test("client request: exactly what 4.34 (gorilla + Go) writes", () => {
  const key = clientKey(new Uint8Array(16));
  const r = buildUpgradeRequest(
    {
      path: "/ray",
      headers: [["x-custom", "v"], ["host", "cdn.example"], ["accept-language", "en"]],
    },
    defaultHost("1.2.3.4", 8080, false),
    key,
  );
  assertEquals(
    latin1(r.bytes),
    "GET /ray HTTP/1.1\r\nHost: cdn.example\r\nUser-Agent: Go-http-client/1.1\r\n" +
      "Accept-Language: en\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n" +
      "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\nX-Custom: v\r\n\r\n",
  );
  assertEquals(r.carried, 0);
  assertEquals(defaultHost("example.com", 443, true), "example.com");
  assertEquals(defaultHost("example.com", 80, false), "example.com");
  assertEquals(defaultHost("example.com", 443, false), "example.com:443");
  assertEquals(defaultHost("::1", 8443, true), "[::1]:8443");
  const ua = buildUpgradeRequest({ path: "/a b", headers: [["User-Agent", "me"]] }, "h", key);
  assert(latin1(ua.bytes).startsWith("GET /a%20b HTTP/1.1\r\nHost: h\r\nUser-Agent: me\r\n"));
  assertThrows(
    () => buildUpgradeRequest({ path: "/", headers: [["upgrade", "x"]] }, "h", key),
    RangeError,
  );
});

Deno.test("client request: early data forms", () => {
  const key = clientKey(new Uint8Array(16));
  const first = utf8("0123456789");
  // Xray: the whole first write when ≤ N, else none.
  const x = buildUpgradeRequest({ ...CLIENT, xrayEarlyData: 10 }, "h", key, first);
  assertEquals(x.carried, 10);
  assert(
    latin1(x.bytes).includes(
      `Sec-WebSocket-Protocol: ${base64RawUrl(first)}\r\nSec-WebSocket-Version`,
    ),
  );
  const big = buildUpgradeRequest({ ...CLIENT, xrayEarlyData: 9 }, "h", key, first);
  assertEquals(big.carried, 0);
  assert(!latin1(big.bytes).includes("Sec-WebSocket-Protocol"));
  // V2Fly: up to N bytes, in the path or in the named header.
  const p = buildUpgradeRequest({ ...CLIENT, maxEarlyData: 4 }, "h", key, first);
  assertEquals(p.carried, 4);
  assert(latin1(p.bytes).startsWith(`GET /ray${base64RawUrl(utf8("0123"))} HTTP/1.1`));
  const hd = buildUpgradeRequest(
    { ...CLIENT, maxEarlyData: 64, earlyDataHeaderName: "sec-websocket-protocol" },
    "h",
    key,
    first,
  );
  assertEquals(hd.carried, 10);
  assert(latin1(hd.bytes).includes(`Sec-WebSocket-Protocol: ${base64RawUrl(first)}\r\n`));
});

Deno.test("client ↔ server handshake: property: early data arrives whole, in every form", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 3000 }),
      fc.constantFrom("xray", "path", "header"),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      (first, form, random) => {
        const key = clientKey(random);
        const opts: WsClientOptions = form === "xray"
          ? { ...CLIENT, xrayEarlyData: 2048 }
          : form === "path"
          ? { ...CLIENT, maxEarlyData: 2048 }
          : { ...CLIENT, maxEarlyData: 2048, earlyDataHeaderName: "Sec-WebSocket-Protocol" };
        const req = buildUpgradeRequest(opts, "h", key, first);
        const h = upgrade(
          serverHandshake(req.bytes, {
            path: "/ray",
            maxEarlyData: form === "xray" ? 0 : 2048,
            earlyDataHeaderName: form === "header" ? "Sec-WebSocket-Protocol" : undefined,
          }, NOW),
        );
        assertEquals(h.earlyData, first.subarray(0, req.carried));
        const ok = checkUpgradeResponse(h.reply, key);
        assertEquals(ok?.used, h.reply.length);
      },
    ),
    fuzzParams({ numRuns: 200 }),
  );
});

Deno.test("client response check: 101 with frames behind it; refusals are ProtocolErrors", () => {
  const reply = latin1Bytes(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
  );
  const withData = concatBytes(reply, encodeFrame(Opcode.binary, utf8("data")));
  for (let i = 0; i < reply.length; i++) {
    assertEquals(checkUpgradeResponse(withData.subarray(0, i), KEY), null);
  }
  assertEquals(checkUpgradeResponse(withData, KEY), { used: reply.length });
  assertThrows(
    () => checkUpgradeResponse(reply, "AAAAAAAAAAAAAAAAAAAAAA=="),
    ProtocolError,
    "Accept",
  );
  assertThrows(
    () =>
      checkUpgradeResponse(
        latin1Bytes(`HTTP/1.1 404 Not Found\r\nDate: ${DATE}\r\nContent-Length: 0\r\n\r\n`),
        KEY,
      ),
    ProtocolError,
    "404 Not Found",
  );
  assertThrows(() => checkUpgradeResponse(latin1Bytes("SSH-2.0-x\r\n\r\n"), KEY), ProtocolError);
  assertThrows(
    () => checkUpgradeResponse(new Uint8Array(20000).fill(65), KEY),
    ProtocolError,
    "over",
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
    try {
      checkUpgradeResponse(concatBytes(b, utf8("\r\n\r\n")), KEY);
    } catch (e) {
      assert(e instanceof ProtocolError, String(e));
    }
  }));
});

Deno.test("mask: property: word-at-a-time masking equals byte XOR at any offset and key position", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.nat(7),
      fc.nat(3),
      (data, key, offset, pos) => {
        const backing = new Uint8Array(data.length + 8);
        const view = backing.subarray(offset, offset + data.length);
        view.set(data);
        const next = applyMask(view, key, pos);
        const want = data.map((b, i) => b ^ key[(pos + i) & 3]);
        assertEquals(toHex(view), toHex(want));
        assertEquals(next, (pos + data.length) & 3);
      },
    ),
  );
});
