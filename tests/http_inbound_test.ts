/** The HTTP proxy inbound: body framing units, and keep-alive end to end through real sockets. */
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { ProtocolError } from "../lib/core/errors.ts";
import { utf8 } from "../lib/core/bytes.ts";
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
