/** The HTTP proxy inbound: body framing units, and keep-alive end to end through real sockets. */
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { ProtocolError } from "../lib/core/errors.ts";
import { utf8 } from "../lib/core/bytes.ts";
import type { ByteStream } from "../lib/core/stream.ts";
import {
  clientKeepAlive,
  type HttpRequestHead,
  originRequestHead,
  parseRequestHead,
} from "../lib/inbound/http_protocol.ts";
import { clientResponseHead, parseResponseHead } from "../lib/inbound/http_response.ts";
import { StreamReader } from "../lib/inbound/stream_reader.ts";
import {
  type BodyFraming,
  BodyScanner,
  CHUNK_META_LIMIT,
  requestFraming,
  responseFraming,
} from "../lib/inbound/http_message.ts";

// ---------------------------------------------------------------- framing units

/** Feeds `input` in the given piece sizes; returns the body bytes seen and whether it finished. */
function scan(
  framing: BodyFraming,
  input: Uint8Array,
  pieces: number[],
): { used: number; done: boolean } {
  const s = new BodyScanner(framing);
  let off = 0, used = 0;
  for (const len of pieces) {
    if (s.done) break;
    const piece = input.subarray(off, off + len);
    const n = s.push(piece);
    assert(n <= piece.length, "push never claims more than it was given");
    if (!s.done) assertEquals(n, piece.length, "an unfinished body takes every byte");
    used += n;
    off += len;
  }
  return { used, done: s.done };
}

/** Deterministic random piece sizes (1..max) covering n bytes. */
function randomSplit(n: number, seed: number, max = 7): number[] {
  let x = seed;
  const out: number[] = [];
  for (let left = n; left > 0;) {
    x = (x * 1103515245 + 12345) >>> 0;
    const len = Math.min(left, 1 + (x >>> 16) % max);
    out.push(len);
    left -= len;
  }
  return out;
}

const CHUNKED: BodyFraming = { kind: "chunked" };
const AFTER = "GET /next HTTP/1.1\r\n\r\n";

const VALID_CHUNKED = [
  "0\r\n\r\n",
  "5\r\nhello\r\n0\r\n\r\n",
  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
  "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
  "0005;name=value;x\r\nhello\r\n0 ; last\r\n\r\n",
  "4\r\n\r\n\r\n\r\n0\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n",
];

Deno.test("http framing: chunked bodies end exactly before the next message, however split", () => {
  for (const body of VALID_CHUNKED) {
    const input = utf8(body + AFTER);
    for (const pieces of [[input.length], Array(input.length).fill(1)]) {
      assertEquals(scan(CHUNKED, input, pieces), { used: body.length, done: true }, body);
    }
    for (let seed = 1; seed <= 50; seed++) {
      const pieces = randomSplit(input.length, seed);
      assertEquals(scan(CHUNKED, input, pieces), { used: body.length, done: true }, body);
    }
  }
});

Deno.test("http framing: a body cut short is not done, and end() says truncated", () => {
  for (const body of VALID_CHUNKED) {
    for (let cut = 0; cut < body.length; cut++) {
      const s = new BodyScanner(CHUNKED);
      assertEquals(s.push(utf8(body.slice(0, cut))), cut);
      assert(!s.done, `${JSON.stringify(body)} cut at ${cut}`);
      assertEquals(assertThrows(() => s.end(), ProtocolError).code, "truncated");
    }
  }
  const s = new BodyScanner({ kind: "length", length: 10 });
  s.push(utf8("12345"));
  assertEquals(assertThrows(() => s.end(), ProtocolError).code, "truncated");
});

Deno.test("http framing: Content-Length, none and read-until-close", () => {
  const input = utf8("0123456789" + AFTER);
  for (let seed = 1; seed <= 30; seed++) {
    const pieces = randomSplit(input.length, seed, 4);
    assertEquals(scan({ kind: "length", length: 10 }, input, pieces), { used: 10, done: true });
  }
  const none = new BodyScanner({ kind: "none" });
  assert(none.done);
  assertEquals(none.push(input), 0);
  const close = new BodyScanner({ kind: "close" });
  assertEquals(close.push(input), input.length);
  assert(!close.done, "a close-delimited body goes on until the stream ends");
  close.end();
  assert(close.done);
});

Deno.test("http framing: bad chunk framing is a ProtocolError bad-chunk wherever it is split", () => {
  const bad = [
    "g\r\nhello\r\n0\r\n\r\n", // not hex
    "\r\n", // no digits
    ";ext\r\n", // extension without a size
    "5\r\nhelloX\r\n0\r\n\r\n", // data not followed by CRLF
    "5\nhello\r\n0\r\n\r\n", // bare LF after the size
    "5\r\nhello\r\n0\r\n\n", // bare LF at the end
    "5\r\nhello\r\n0\r\nX: 1\n\r\n", // bare LF in a trailer
    "5\r\nhello\r\n0\r\n folded\r\n\r\n", // trailer continuation line
    "fffffffffffffffff\r\n", // size beyond 2^44
    "-5\r\nhello\r\n", // sign
    `1;${"e".repeat(CHUNK_META_LIMIT + 1)}\r\n`, // extension too long
    `0\r\n${"X: y\r\n".repeat(CHUNK_META_LIMIT / 6 + 1)}\r\n`, // trailers too long
  ];
  for (const body of bad) {
    const input = utf8(body);
    for (const pieces of [[input.length], randomSplit(input.length, body.length, 5)]) {
      const e = assertThrows(() => scan(CHUNKED, input, pieces), ProtocolError);
      assertEquals(e.code, "bad-chunk", JSON.stringify(body.slice(0, 40)));
    }
  }
});

Deno.test("http framing: which framing a request head implies", () => {
  const h = (...kv: [string, string][]) => kv;
  assertEquals(requestFraming(h()), { kind: "none" });
  assertEquals(requestFraming(h(["Content-Length", "0"])), { kind: "none" });
  assertEquals(requestFraming(h(["content-length", "12"])), { kind: "length", length: 12 });
  assertEquals(requestFraming(h(["Content-Length", "7, 7"])), { kind: "length", length: 7 });
  assertEquals(requestFraming(h(["Transfer-Encoding", "chunked"])), CHUNKED);
  assertEquals(requestFraming(h(["Transfer-Encoding", "gzip, Chunked"])), CHUNKED);
  // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3).
  assertEquals(
    requestFraming(h(["Content-Length", "3"], ["Transfer-Encoding", "chunked"])),
    CHUNKED,
  );
  for (const v of ["-1", "1e3", "abc", "", "7, 8", "0x10", "1234567890123456"]) {
    const e = assertThrows(() => requestFraming(h(["Content-Length", v])), ProtocolError);
    assertEquals(e.code, "bad-length", v);
  }
  assertEquals(
    assertThrows(
      () => requestFraming(h(["Content-Length", "1"], ["Content-Length", "2"])),
      ProtocolError,
    )
      .code,
    "bad-length",
  );
  for (const v of ["gzip", "chunked, gzip", ""]) {
    const e = assertThrows(() => requestFraming(h(["Transfer-Encoding", v])), ProtocolError);
    assertEquals(e.code, "bad-framing", v);
  }
});

Deno.test("http framing: which framing a response head implies", () => {
  const cl = [["Content-Length", "5"]] as [string, string][];
  assertEquals(responseFraming("GET", 200, cl), { kind: "length", length: 5 });
  assertEquals(responseFraming("HEAD", 200, cl), { kind: "none" });
  for (const status of [100, 103, 204, 304]) {
    assertEquals(responseFraming("GET", status, cl), { kind: "none" }, String(status));
  }
  assertEquals(responseFraming("GET", 101, []), { kind: "close" });
  assertEquals(responseFraming("GET", 200, []), { kind: "close" });
  assertEquals(responseFraming("GET", 200, [["Content-Length", "0"]]), { kind: "none" });
  assertEquals(responseFraming("POST", 200, [["Transfer-Encoding", "chunked"]]), CHUNKED);
  // A response coding that is not chunked last can only end with the connection.
  assertEquals(responseFraming("GET", 200, [["Transfer-Encoding", "gzip"]]), { kind: "close" });
  assertEquals(
    assertThrows(() => responseFraming("GET", 200, [["Content-Length", "x"]]), ProtocolError).code,
    "bad-length",
  );
});

// ---------------------------------------------------------------- head units

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** One byte per char, so a test can put any byte in a head. */
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function request(head: string): HttpRequestHead {
  const r = parseRequestHead(bytes(head));
  assert(r, "a complete head parses");
  assertEquals(r.used, head.length);
  return r.value;
}

Deno.test("http heads: the origin gets origin form, its Host, no hop-by-hop fields, Connection: close", () => {
  const h = request(
    "GET http://user:pw@example.com:8080/a/b?q=1 HTTP/1.1\r\n" +
      "Host: wrong.example\r\nProxy-Connection: keep-alive\r\nProxy-Authorization: Basic eDp5\r\n" +
      "Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n" +
      "Upgrade: websocket\r\nAccept: */*\r\nX-Latin: caf\xe9\r\n\r\n",
  );
  const out = originRequestHead(h);
  assertEquals(
    Array.from(out, (b) => String.fromCharCode(b)).join(""),
    "GET /a/b?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nX-Latin: caf\xe9\r\n" +
      "Connection: close\r\n\r\n",
  );
  // Query without a path, and a bare authority, become origin-form too.
  assertEquals(
    text(originRequestHead(request("GET http://h?x HTTP/1.0\r\n\r\n"))).split("\r\n")[0],
    "GET /?x HTTP/1.0",
  );
  assertEquals(
    text(originRequestHead(request("GET http://h HTTP/1.1\r\n\r\n"))).split("\r\n")[0],
    "GET / HTTP/1.1",
  );
});

Deno.test("http heads: framing fields survive Connection, and Content-Length yields to chunked", () => {
  const h = request(
    "POST http://h/ HTTP/1.1\r\nConnection: Content-Length, Transfer-Encoding, Host\r\n" +
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
  );
  const lines = text(originRequestHead(h)).split("\r\n");
  assert(lines.includes("Transfer-Encoding: chunked"), lines.join("|"));
  assert(!lines.some((l) => /^content-length/i.test(l)), "Content-Length dropped beside chunked");
  const cl = request(
    "POST http://h/ HTTP/1.1\r\nConnection: content-length\r\nContent-Length: 5\r\n\r\n",
  );
  assert(text(originRequestHead(cl)).includes("Content-Length: 5\r\n"));
});

Deno.test("http heads: malformed request heads are ProtocolError bad-request; partial ones wait", () => {
  assertEquals(parseRequestHead(utf8("GET http://h/ HTTP/1.1\r\nHost: h\r\n")), null);
  for (
    const bad of [
      "GET http://h/ HTTP/2.0\r\n\r\n",
      "GET http://h/ http/1.1\r\n\r\n",
      "GET  http://h/ HTTP/1.1\r\n\r\n",
      "GET http://h/\r\n\r\n",
      "\r\n\r\n",
      "GET http://h/ HTTP/1.1\r\nHost : h\r\n\r\n",
      "GET http://h/ HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
      "GET http://h/ HTTP/1.1\r\nNoColon\r\n\r\n",
      "GET http://h/ HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\n",
      "GET http://h/ HTTP/1.1\r\nX: a\0b\r\n\r\n",
    ]
  ) {
    const e = assertThrows(() => parseRequestHead(utf8(bad)), ProtocolError);
    assertEquals(e.code, "bad-request", JSON.stringify(bad));
  }
});

Deno.test("http heads: response heads parse, and the client copy says keep-alive or close", () => {
  const r = parseResponseHead(
    utf8("HTTP/1.1 200 OK\r\nConnection: close\r\nKeep-Alive: x\r\nContent-Length: 2\r\n\r\nhi"),
  );
  assert(r);
  assertEquals([r.value.status, r.value.reason, r.used], [200, "OK", 72]);
  assertEquals(
    text(clientResponseHead(r.value, "keep-alive")),
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n",
  );
  const interim = parseResponseHead(utf8("HTTP/1.1 100 Continue\r\n\r\n"))!.value;
  assertEquals(text(clientResponseHead(interim, null)), "HTTP/1.1 100 Continue\r\n\r\n");
  assertEquals(parseResponseHead(utf8("HTTP/1.0 204\r\n\r\n"))!.value.reason, "");
  for (
    const bad of ["HTTP/1.1 20 OK\r\n\r\n", "ICY 200 OK\r\n\r\n", "HTTP/1.1 200 O\x01K\r\n\r\n"]
  ) {
    const e = assertThrows(() => parseResponseHead(utf8(bad)), ProtocolError);
    assertEquals(e.code, "bad-response", JSON.stringify(bad));
  }
});

Deno.test("http heads: who keeps the connection: 1.1 unless close, 1.0 only with keep-alive", () => {
  const ka = (s: string) => clientKeepAlive(request(s + "\r\n"));
  assertEquals(ka("GET http://h/ HTTP/1.1\r\n"), true);
  assertEquals(ka("GET http://h/ HTTP/1.1\r\nConnection: close\r\n"), false);
  assertEquals(ka("GET http://h/ HTTP/1.1\r\nProxy-Connection: Keep-Alive, Close\r\n"), false);
  assertEquals(ka("GET http://h/ HTTP/1.0\r\n"), false);
  assertEquals(ka("GET http://h/ HTTP/1.0\r\nProxy-Connection: Keep-Alive\r\n"), true);
  assertEquals(ka("GET http://h/ HTTP/1.0\r\nConnection: keep-alive\r\n"), true);
});

/** A ByteStream that returns `chunks` one per read (each in a reused buffer), then ends. */
function chunkStream(chunks: Uint8Array[]): ByteStream {
  const buf = new Uint8Array(4096);
  let i = 0;
  return {
    read: () => {
      if (i >= chunks.length) return Promise.resolve(null);
      const c = chunks[i++];
      buf.set(c);
      return Promise.resolve(buf.subarray(0, c.length)); // Overwritten by the next read.
    },
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close: () => {},
  };
}

Deno.test("stream reader: heads across reads, leftovers kept, clean end vs truncated vs too long", async () => {
  const two = "GET http://a/ HTTP/1.1\r\n\r\nGET http://b/ HTTP/1.1\r\n\r\nbody";
  const pieces = randomSplit(two.length, 3, 9).reduce<Uint8Array[]>((acc, n) => {
    const off = acc.reduce((s, p) => s + p.length, 0);
    acc.push(utf8(two.slice(off, off + n)));
    return acc;
  }, []);
  const r = new StreamReader(chunkStream(pieces));
  assertEquals((await r.next(parseRequestHead, 1024))?.target, "http://a/");
  assertEquals((await r.next(parseRequestHead, 1024))?.target, "http://b/");
  let rest = "";
  for (let c = await r.chunk(); c !== null; c = await r.chunk()) rest += text(c);
  assertEquals(rest, "body");
  assertEquals(await r.next(parseRequestHead, 1024), null, "clean end between messages");

  const cut = new StreamReader(chunkStream([utf8("GET http://a/ HT")]));
  assertEquals(
    (await assertRejects(() => cut.next(parseRequestHead, 1024), ProtocolError)).code,
    "truncated",
  );
  const long = new StreamReader(chunkStream(Array(20).fill(utf8("X".repeat(60)))));
  assertEquals(
    (await assertRejects(() => long.next(parseRequestHead, 1024), ProtocolError)).code,
    "too-long",
  );
  // A head that ends past the limit is too long even when it arrived in one read.
  const big = `GET http://a/ HTTP/1.1\r\nX: ${"y".repeat(40)}\r\n\r\n`;
  const once = new StreamReader(chunkStream([utf8(big)]));
  assertEquals(
    (await assertRejects(() => once.next(parseRequestHead, 50), ProtocolError)).code,
    "too-long",
  );

  const u = new StreamReader(chunkStream([utf8("abc")]));
  const first = await u.chunk();
  u.unread(first!.subarray(1));
  assertEquals(text((await u.chunk())!), "bc", "unread bytes come back first, copied");
});
