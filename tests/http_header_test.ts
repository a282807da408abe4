import fc from "fast-check";
import { fuzzParams } from "./helpers/fuzz.ts";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { ProtocolError } from "../lib/core/errors.ts";
import { concatBytes, utf8 } from "../lib/core/bytes.ts";
import { latin1, latin1Bytes } from "../lib/http/mod.ts";
import {
  errorResponse,
  httpHeaderSettings,
  readRequestHead,
  requestHead,
  responseHead,
  skipResponseHead,
} from "../lib/http_header/mod.ts";

const NOW = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
const DATE = "Tue, 02 Jan 2024 03:04:05 GMT";
const first = () => 0;
const second = () => 1;

Deno.test("http header: 4.34's default request and response heads, both random picks", () => {
  const s = httpHeaderSettings();
  assertEquals(
    latin1(requestHead(s, first)),
    "GET / HTTP/1.1\r\nHost: www.baidu.com\r\n" +
      "User-Agent: Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.143 Safari/537.36\r\n" +
      "Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nPragma: no-cache\r\n\r\n",
  );
  assert(
    latin1(requestHead(s, second)).includes(
      "Host: www.bing.com\r\nUser-Agent: Mozilla/5.0 (iPhone;",
    ),
  );
  assertEquals(
    latin1(responseHead(s, first, NOW)),
    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n" +
      `Connection: keep-alive\r\nPragma: no-cache\r\nCache-Control: private\r\nDate: ${DATE}\r\n\r\n`,
  );
  assert(latin1(responseHead(s, second, NOW)).includes("video/mpeg\r\n"));
  assert(latin1(responseHead(s, second, NOW)).includes("Cache-Control: no-cache\r\n"));
});

Deno.test("http header: configured heads replace the defaults, headers sorted by name; a Date is kept", () => {
  const s = httpHeaderSettings(
    {
      version: "1.0",
      method: "POST",
      path: ["/a", "/b"],
      headers: { "X-b": ["1"], Host: ["h1", "h2"], "x-a": [] },
    },
    { status: "302", headers: { Date: ["yesterday"], Location: ["/"] } },
  );
  assertEquals(
    latin1(requestHead(s, second)),
    "POST /b HTTP/1.0\r\nHost: h2\r\nX-b: 1\r\nx-a: \r\n\r\n",
  );
  assertEquals(
    latin1(responseHead(s, first, NOW)),
    "HTTP/1.1 302 OK\r\nDate: yesterday\r\nLocation: /\r\n\r\n",
  );
  assertEquals(
    latin1(errorResponse(404, NOW)),
    "HTTP/1.1 404 Not Found\r\nConnection: close\r\nCache-Control: private\r\n" +
      `Content-Length: 0\r\nDate: ${DATE}\r\n\r\n`,
  );
  assert(latin1(errorResponse(400, NOW)).startsWith("HTTP/1.1 400 Bad Request\r\n"));
});

Deno.test("http header: the server reads the client's head at any split; data after it is the stream", () => {
  const s = httpHeaderSettings({ path: ["/x", "/y"] });
  const head = requestHead(s, second);
  const wire = concatBytes(head, utf8("payload"));
  for (let i = 0; i < head.length; i++) assertEquals(readRequestHead(wire.subarray(0, i), s), null);
  const r = readRequestHead(wire, s);
  assert(r?.kind === "ok");
  assertEquals(r.used, head.length);
  assertEquals(r.request.path, "/y");
  // Query ignored, any method and version.
  assert(readRequestHead(latin1Bytes("PUT /x?q=1 HTTP/1.0\r\n\r\n"), s)?.kind === "ok");
});

Deno.test("http header: wrong path → 404; bad or endless head → 400; all typed", () => {
  const s = httpHeaderSettings({ path: ["/x"] });
  const cases: [string, 400 | 404][] = [
    ["GET /y HTTP/1.1\r\nHost: a\r\n\r\n", 404],
    ["GET /x/ HTTP/1.1\r\n\r\n", 404],
    ["GET /x HTTP/1.1\r\nbad line\r\n\r\n", 400],
    ["\x16\x03\x01 garbage\r\n", 400], // a bad request line is refused before the blank line
    ["GET /x HTTP/9\r\n", 400],
  ];
  for (const [text, status] of cases) {
    const r = readRequestHead(latin1Bytes(text), s);
    assert(r?.kind === "reject", text);
    assertEquals(r.status, status);
    assertEquals(r.error.code, "http-header");
  }
  const endless = readRequestHead(latin1Bytes("GET /x HTTP/1.1\r\nX: " + "a".repeat(9000)), s);
  assert(endless?.kind === "reject" && endless.status === 400);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (b, end) => {
      const r = readRequestHead(end ? concatBytes(b, utf8("\r\n\r\n")) : b, s);
      assert(r === null || r.kind === "ok" || r.kind === "reject");
    }),
    fuzzParams({ numRuns: 2000 }),
  );
});

Deno.test("http header: the client skips the response head at any split; too long is a ProtocolError", () => {
  const s = httpHeaderSettings();
  const head = responseHead(s, first, NOW);
  const wire = concatBytes(head, utf8("data"));
  for (let i = 0; i < head.length; i++) assertEquals(skipResponseHead(wire.subarray(0, i)), null);
  assertEquals(skipResponseHead(wire), head.length);
  assertThrows(() => skipResponseHead(new Uint8Array(8192).fill(65)), ProtocolError, "over 8192");
});

Deno.test("http header: property: every head the client may build is accepted by the server", () => {
  const path = fc.stringMatching(/^\/[a-z0-9/._-]{0,20}$/);
  fc.assert(
    fc.property(fc.array(path, { minLength: 1, maxLength: 4 }), fc.nat(), (paths, seed) => {
      const s = httpHeaderSettings({ path: paths });
      const r = readRequestHead(requestHead(s, (n) => seed % n), s);
      assert(r?.kind === "ok");
    }),
  );
});
