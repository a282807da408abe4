/** The HTTP proxy inbound: body framing units, and keep-alive end to end through real sockets. */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "./assert.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { digest, EchoServer, patternBytes, sendAndReceive } from "./helpers/net.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";
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
import { exchange } from "../lib/inbound/http_exchange.ts";
import {
  type BodyFraming,
  BodyScanner,
  CHUNK_META_LIMIT,
  requestFraming,
  responseFraming,
} from "../lib/inbound/http_message.ts";
import { requirePeer } from "./helpers/peers.ts";

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
      "GET http://h/ HTTP/1.1\r\nX: a\rContent-Length: 5\r\n\r\n",
      "GET http://h/ HTTP/1.1\r\nX: a\0b\r\n\r\n",
    ]
  ) {
    const e = assertThrows(() => parseRequestHead(utf8(bad)), ProtocolError);
    assertEquals(e.code, "bad-request", JSON.stringify(bad));
  }
  // A bare LF ends a line, as in Go's net/http: two fields, serialized again with CRLF.
  const mixed = parseRequestHead(utf8("GET http://h/ HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\n"));
  assertEquals(mixed?.value.headers, [["X", "a"], ["Content-Length", "5"]]);
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

Deno.test("http exchange: a response that ends while the body upload is blocked frees the target at once", async () => {
  // The origin answers at once but never takes the request body: that write blocks until close().
  let targetClosed = false, clientClosed = false, answered = false, writes = 0;
  let unblock: ((e: Error) => void) | undefined;
  const target: ByteStream = {
    read: () => {
      if (answered) return Promise.resolve(null);
      answered = true;
      return Promise.resolve(utf8("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    },
    write: () =>
      writes++ === 0 ? Promise.resolve() : new Promise<void>((_, reject) => unblock = reject),
    closeWrite: () => Promise.resolve(),
    close: () => {
      targetClosed = true;
      unblock?.(new Error("closed"));
    },
  };
  const received: Uint8Array[] = [];
  const clientOut: ByteStream = {
    read: () => Promise.resolve(null),
    write: (b) => (received.push(b.slice()), Promise.resolve()),
    closeWrite: () => Promise.resolve(),
    close: () => clientClosed = true,
  };
  const result = await within(
    exchange({
      method: "POST",
      head: utf8("POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n"),
      framing: { kind: "length", length: 1000 },
      keepAlive: true,
      clientIn: new StreamReader(chunkStream([new Uint8Array(100)])),
      clientOut,
      target,
      idleMs: 300_000, // only closing the target can end this exchange in time
    }),
    "the exchange to end without waiting for connIdle",
  );
  assertEquals(result.keepAlive, false, "the request body was not all sent");
  assert(targetClosed && clientClosed);
  assertStringIncludes(text(received[0]), "200 OK");
});

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

// ---------------------------------------------------------------- end to end

/** An origin: `/sum` answers the request body's length and SHA-256, `/chunked` a streamed body. */
class TestOrigin implements AsyncDisposable {
  readonly server: Deno.HttpServer<Deno.NetAddr>;

  constructor(name: string) {
    this.server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/sum") {
        // A request cut off by the proxy (bad framing) ends the body read with an error.
        const body = await req.arrayBuffer().then((b) => new Uint8Array(b), () => null);
        if (!body) return new Response("cut", { status: 400 });
        return new Response(`${req.method} ${body.length} ${digest(body)}`);
      }
      if (path === "/chunked") {
        // No length known up front: Deno sends Transfer-Encoding: chunked.
        return new Response(ReadableStream.from(["chunk one|", "chunk two|", "end"].map(utf8)));
      }
      return new Response(`${name} ${path}`);
    });
  }

  get port(): number {
    return this.server.addr.port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.server.shutdown();
  }
}

/** A raw TCP origin: reads one request head per connection, sends `response`, closes. */
class RawOrigin implements AsyncDisposable {
  readonly listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #tasks = new Set<Promise<void>>();
  readonly #loop: Promise<void>;

  constructor(response: string) {
    this.#loop = (async () => {
      for await (const conn of this.listener) {
        const t = (async () => {
          try {
            const buf = new Uint8Array(16384);
            let got = "";
            while (!got.includes("\r\n\r\n")) {
              const n = await conn.read(buf);
              if (n === null) return;
              got += text(buf.subarray(0, n));
            }
            await conn.write(utf8(response));
          } finally {
            conn.close();
          }
        })().catch(() => {}).finally(() => this.#tasks.delete(t));
        this.#tasks.add(t);
      }
    })().catch(() => {});
  }

  get port(): number {
    return this.listener.addr.port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.listener.close();
    await this.#loop;
    await Promise.all(this.#tasks);
  }
}

/** Rejects with `what` if `p` has not settled in `ms` (a guard against hangs, not a wait). */
async function within<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** A client speaking HTTP by hand on one connection; counts every byte it reads. */
class RawClient implements Disposable {
  readonly conn: Deno.Conn;
  received = 0;
  #buf = new Uint8Array(0);

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async send(s: string): Promise<void> {
    const b = utf8(s);
    for (let o = 0; o < b.length;) o += await this.conn.write(b.subarray(o));
  }

  // More bytes into the buffer; false at end of stream (a reset counts as the end too).
  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    const n = await within(this.conn.read(chunk).catch(() => null), "read from the proxy");
    if (n === null) return false;
    this.received += n;
    const grown = new Uint8Array(this.#buf.length + n);
    grown.set(this.#buf);
    grown.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = grown;
    return true;
  }

  async #line(): Promise<string> {
    for (;;) {
      const i = text(this.#buf).indexOf("\r\n");
      if (i >= 0) {
        const line = text(this.#buf.subarray(0, i));
        this.#buf = this.#buf.subarray(i + 2);
        return line;
      }
      if (!await this.#fill()) throw new Error("connection ended inside a line");
    }
  }

  async #take(n: number): Promise<string> {
    while (this.#buf.length < n) {
      if (!await this.#fill()) throw new Error("connection ended inside a body");
    }
    const s = text(this.#buf.subarray(0, n));
    this.#buf = this.#buf.subarray(n);
    return s;
  }

  /** The next response (body read by its own framing; none when `noBody`). */
  async response(noBody = false): Promise<RawResponse> {
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(await this.#line());
    assert(m, "a status line");
    const headers = new Map<string, string>();
    for (let l = await this.#line(); l !== ""; l = await this.#line()) {
      const i = l.indexOf(":");
      headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
    }
    let body = "";
    if (noBody) return { status: Number(m[1]), headers, body };
    if (headers.get("transfer-encoding") === "chunked") {
      for (let size = parseInt(await this.#line(), 16); size > 0;) {
        body += await this.#take(size);
        assertEquals(await this.#line(), "");
        size = parseInt(await this.#line(), 16);
      }
      assertEquals(await this.#line(), "", "no trailers");
    } else if (headers.has("content-length")) {
      body = await this.#take(Number(headers.get("content-length")));
    } else {
      while (await this.#fill());
      body = text(this.#buf);
      this.#buf = new Uint8Array(0);
    }
    return { status: Number(m[1]), headers, body };
  }

  /** Whether the proxy closed the connection with nothing more to read. */
  async closed(): Promise<boolean> {
    return this.#buf.length === 0 && !await this.#fill();
  }

  [Symbol.dispose](): void {
    this.conn.close();
  }
}

/**
 * Runs one curl process with `--next` between the groups of `args`; returns one
 * { body, status, connects } per transfer (connects: new connections it opened) and the -v log.
 */
async function curlTransfers(...groups: string[][]) {
  const common = ["-sv", "--max-time", "20", "-w", "\n@@%{http_code} %{num_connects}\n"];
  const args = groups.flatMap((g, i) => [...(i > 0 ? ["--next"] : []), ...common, ...g]);
  const out = await new Deno.Command("curl", { args, stdin: "null" }).output();
  const transfers = [...text(out.stdout).matchAll(/([\s\S]*?)\n@@(\d{3}) (\d+)\n/g)].map((m) => ({
    body: m[1],
    status: m[2],
    connects: Number(m[3]),
  }));
  return { code: out.code, transfers, log: text(out.stderr) };
}

const httpInbound = (settings: Record<string, unknown> = {}) => ({
  tag: "http-in",
  listen: "127.0.0.1",
  port: 0,
  protocol: "http",
  settings,
});

Deno.test("http keep-alive: curl sends two URLs over one proxy connection", {
  ignore: !requirePeer("curl"),
}, async () => {
  await using origin = new TestOrigin("one");
  await using inst = await RunningInstance.start({
    inbounds: [httpInbound()],
    outbounds: [{ protocol: "freedom" }],
  });
  const base = `http://127.0.0.1:${origin.port}`;
  const r = await curlTransfers([
    "-x",
    `http://127.0.0.1:${inst.port()}`,
    `${base}/a`,
    `${base}/b`,
  ]);
  assertEquals(r.code, 0, r.log);
  assertEquals(r.transfers, [
    { body: "one /a", status: "200", connects: 1 },
    { body: "one /b", status: "200", connects: 0 },
  ]);
  assertStringIncludes(r.log, "Re-using existing connection");
});

Deno.test("http keep-alive: POST bodies by Content-Length and chunked, 100 Continue relayed", {
  ignore: !requirePeer("curl"),
}, async () => {
  await using origin = new TestOrigin("post");
  await using inst = await RunningInstance.start({
    inbounds: [httpInbound()],
    outbounds: [{ protocol: "freedom" }],
  });
  const data = patternBytes(300_000, 5);
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeFile(file, data);
    const proxy = ["-x", `http://127.0.0.1:${inst.port()}`];
    const url = `http://127.0.0.1:${origin.port}/sum`;
    const r = await curlTransfers(
      [...proxy, "-H", "Expect: 100-continue", "--data-binary", `@${file}`, url],
      [...proxy, "-H", "Transfer-Encoding: chunked", "--data-binary", `@${file}`, url],
      [...proxy, url],
    );
    assertEquals(r.code, 0, r.log);
    const want = `POST ${data.length} ${digest(data)}`;
    assertEquals(r.transfers, [
      { body: want, status: "200", connects: 1 },
      { body: want, status: "200", connects: 0 },
      { body: `GET 0 ${digest(new Uint8Array(0))}`, status: "200", connects: 0 },
    ]);
    // curl waited for 100 Continue before the first body; the origin's interim answer came through.
    assertStringIncludes(r.log, "> Transfer-Encoding: chunked");
    assertStringIncludes(r.log, "< HTTP/1.1 100 Continue");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("http keep-alive: a chunked response passes through and the connection stays", async () => {
  await using origin = new TestOrigin("c");
  await using inst = await RunningInstance.start({
    inbounds: [httpInbound()],
    outbounds: [{ protocol: "freedom" }],
  });
  using c = await RawClient.connect(inst.port());
  const url = `http://127.0.0.1:${origin.port}`;
  for (const path of ["/chunked", "/chunked", "/after"]) {
    await c.send(`GET ${url}${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const r = await c.response();
    assertEquals(r.status, 200);
    assertEquals(r.headers.get("connection"), "keep-alive");
    if (path === "/chunked") {
      assertEquals(r.headers.get("transfer-encoding"), "chunked");
      assertEquals(r.body, "chunk one|chunk two|end");
    } else assertEquals(r.body, "c /after");
  }
  // HEAD: a Content-Length but no body; the next (pipelined) request is still read right.
  await c.send(`HEAD ${url}/h HTTP/1.1\r\n\r\nGET ${url}/g HTTP/1.1\r\n\r\n`);
  const head = await c.response(true);
  assertEquals([head.status, head.headers.get("content-length")], [200, "4"]);
  assertEquals((await c.response()).body, "c /g");
});

Deno.test("http keep-alive: each request on one connection is routed on its own, one access line each", async () => {
  await using a = new TestOrigin("A");
  await using b = new TestOrigin("B");
  await using echo = new EchoServer();
  const access: string[] = [];
  await using inst = await RunningInstance.start(
    {
      inbounds: [httpInbound()],
      outbounds: [
        { tag: "direct", protocol: "freedom" },
        { tag: "to-b", protocol: "freedom" },
        { tag: "block", protocol: "blackhole", settings: { response: { type: "http" } } },
      ],
      routing: {
        rules: [
          { type: "field", port: String(b.port), outboundTag: "to-b" },
          { type: "field", domain: ["full:blocked.test"], outboundTag: "block" },
        ],
      },
      stats: {},
      policy: { system: { statsInboundUplink: true, statsInboundDownlink: true } },
    },
    new Logger("none", memorySink([]), memorySink(access)),
  );
  using c = await RawClient.connect(inst.port());
  await c.send(`GET http://127.0.0.1:${a.port}/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  assertEquals((await c.response()).body, "A /1");
  await c.send(`GET http://127.0.0.1:${b.port}/2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  assertEquals((await c.response()).body, "B /2");
  await c.send(`GET http://blocked.test/3 HTTP/1.1\r\nHost: blocked.test\r\n\r\n`);
  const blocked = await c.response();
  assertEquals([blocked.status, blocked.headers.get("connection")], [403, "keep-alive"]);
  await c.send(`GET http://127.0.0.1:${a.port}/4 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  assertEquals((await c.response()).body, "A /4");
  // CONNECT still works after plain requests on the same connection, and tunnels raw bytes.
  await c.send(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\n`);
  const before = c.received;
  assertEquals((await c.response(true)).status, 200);
  const established = c.received - before;
  const tunnelled = patternBytes(5000, 3);
  assertEquals(digest(await sendAndReceive(c.conn, tunnelled)), digest(tunnelled));
  // Every other byte the client read came from an outbound, and the inbound counted each one
  // (all counted by now: the tunnel's EOF came after its last count).
  assertEquals(
    inst.instance.stats!.get("inbound>>>http-in>>>traffic>>>downlink"),
    c.received - established + tunnelled.length,
  );
  const lines = access.map((l) => l.replace(/^.*? accepted /, ""));
  assertEquals(lines, [
    `tcp:127.0.0.1:${a.port} [http-in -> direct]`,
    `tcp:127.0.0.1:${b.port} [http-in -> to-b]`,
    `tcp:blocked.test:80 [http-in -> block]`,
    `tcp:127.0.0.1:${a.port} [http-in -> direct]`,
    `tcp:127.0.0.1:${echo.port} [http-in -> direct]`,
  ]);
});

Deno.test("http keep-alive: bad second requests get a 400 and a clean close", async () => {
  await using origin = new TestOrigin("ok");
  await using inst = await RunningInstance.start({
    inbounds: [httpInbound()],
    outbounds: [{ protocol: "freedom" }],
  });
  const good = `GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`;
  const post = `POST http://127.0.0.1:${origin.port}/sum HTTP/1.1\r\n`;
  const cases = {
    "garbage head": "this is not http\r\n\r\n",
    "space before colon": "GET http://h/ HTTP/1.1\r\nHost : h\r\n\r\n",
    "head over 16 KiB": `GET http://h/ HTTP/1.1\r\nX: ${"a".repeat(17_000)}\r\n\r\n`,
    "bad Content-Length": `${post}Content-Length: 5, 6\r\n\r\n`,
    "unknown transfer-coding": `${post}Transfer-Encoding: gzip\r\n\r\n`,
    "bad chunk size": `${post}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
    "chunk without CRLF": `${post}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n`,
    "relative target": "GET /x HTTP/1.1\r\nHost: h\r\n\r\n",
  };
  for (const [what, bad] of Object.entries(cases)) {
    using c = await RawClient.connect(inst.port());
    await c.send(good);
    assertEquals((await c.response()).body, "ok /", what);
    await c.send(bad);
    const r = await c.response();
    assertEquals([r.status, r.headers.get("connection")], [400, "close"], what);
    assert(await c.closed(), `${what}: closed after the 400`);
  }
  // A head cut off by the client's FIN gets its 400 too.
  using cut = await RawClient.connect(inst.port());
  await cut.send("GET http://h/ HTTP/1.1\r\nHo");
  await cut.conn.closeWrite();
  assertEquals((await cut.response()).status, 400);
  assert(await cut.closed(), "closed after a truncated head");
  // The proxy is still serving.
  using after = await RawClient.connect(inst.port());
  await after.send(good);
  assertEquals((await after.response()).body, "ok /");
});

Deno.test("http keep-alive: close on Connection: close, on HTTP/1.0, and after a read-until-close body", async () => {
  await using origin = new TestOrigin("k");
  await using raw = new RawOrigin("HTTP/1.1 200 OK\r\nX-Raw: 1\r\n\r\nuntil the end");
  await using inst = await RunningInstance.start({
    inbounds: [httpInbound()],
    outbounds: [{ protocol: "freedom" }],
  });
  const url = `http://127.0.0.1:${origin.port}/`;
  const cases: [string, string | null][] = [
    [`GET ${url} HTTP/1.1\r\nConnection: close\r\n\r\n`, "close"],
    [`GET ${url} HTTP/1.0\r\n\r\n`, "close"],
    [`GET ${url} HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n`, "keep-alive"],
    [`GET ${url} HTTP/1.1\r\n\r\n`, "keep-alive"],
  ];
  for (const [req, want] of cases) {
    using c = await RawClient.connect(inst.port());
    await c.send(req);
    const r = await c.response();
    assertEquals([r.body, r.headers.get("connection")], ["k /", want], req);
    if (want === "close") assert(await c.closed(), `closed after: ${req}`);
    else {
      await c.send(req);
      assertEquals((await c.response()).body, "k /", `second request after: ${req}`);
    }
  }
  using c = await RawClient.connect(inst.port());
  await c.send(`GET http://127.0.0.1:${raw.port}/ HTTP/1.1\r\n\r\n`);
  const r = await c.response();
  assertEquals([r.body, r.headers.get("connection"), r.headers.get("x-raw")], [
    "until the end",
    "close",
    "1",
  ]);
  assert(await c.closed());
});

Deno.test("http keep-alive: connIdle closes a connection waiting for its next request", async () => {
  await using origin = new TestOrigin("idle");
  await using inst = await RunningInstance.start({
    inbounds: [httpInbound()],
    outbounds: [{ protocol: "freedom" }],
    policy: { levels: { "0": { connIdle: 1 } } },
  });
  using c = await RawClient.connect(inst.port());
  await c.send(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`);
  assertEquals((await c.response()).headers.get("connection"), "keep-alive");
  const t0 = Date.now();
  // Nothing more is sent: the proxy must close by itself (the default would be 300 s).
  assert(await c.closed(), "closed while idle");
  assert(Date.now() - t0 >= 900, "not before connIdle");
});

Deno.test("http keep-alive: Basic auth is checked on every request", async () => {
  await using origin = new TestOrigin("auth");
  await using inst = await RunningInstance.start({
    inbounds: [httpInbound({ accounts: [{ user: "u", pass: "p" }] })],
    outbounds: [{ protocol: "freedom" }],
  });
  using c = await RawClient.connect(inst.port());
  const url = `http://127.0.0.1:${origin.port}/`;
  await c.send(`GET ${url} HTTP/1.1\r\nProxy-Authorization: Basic ${btoa("u:p")}\r\n\r\n`);
  assertEquals((await c.response()).body, "auth /");
  await c.send(`GET ${url} HTTP/1.1\r\n\r\n`);
  const r = await c.response();
  assertEquals([r.status, r.headers.get("proxy-authenticate")], [407, 'Basic realm="proxy"']);
  assert(await c.closed());
});
