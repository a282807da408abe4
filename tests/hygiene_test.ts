/**
 * Addresses and logs: a name from the network is a valid domain or an IP literal, or the request is
 * refused (as V2Ray's "invalid domain name"); nothing a peer sends can forge a log line.
 */
import fc from "fast-check";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { fuzzParams } from "./helpers/fuzz.ts";
import { ConfigError, formatIssue, loadConfigFiles } from "../lib/config/mod.ts";
import { invalidUtf8At } from "../lib/config/jsonc.ts";
import { addressFromName } from "../lib/core/destination.ts";
import { ProtocolError } from "../lib/core/errors.ts";
import { escapeControl, Logger, memorySink } from "../lib/log/mod.ts";
import { parseSocksAddress } from "../lib/inbound/socks_protocol.ts";
import { parseRequestHead, requestDestination } from "../lib/inbound/http_protocol.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { EchoServer, within } from "./helpers/net.ts";
import { HttpOrigin } from "./helpers/http_server.ts";

const enc = new TextEncoder();

Deno.test("addresses: names from the network are valid domains or IP literals, else refused", () => {
  const ok: [string | Uint8Array, string][] = [
    ["example.com", "example.com"],
    ["a_b-c.d", "a_b-c.d"],
    ["1.2.3.4", "1.2.3.4"],
    ["[::1]", "::1"],
    ["2001:DB8::1", "2001:db8::1"],
    [enc.encode("x.y"), "x.y"],
    ["a".repeat(255), "a".repeat(255)],
  ];
  for (const [name, want] of ok) assertEquals(addressFromName(name), want, String(name));
  const bad: (string | Uint8Array)[] = [
    "",
    "evil.com\n2026/01/01 forged line",
    "nul\0.com",
    "sp ace.com",
    "a".repeat(256),
    "ex/ample.com",
    new Uint8Array([0x65, 0xff, 0x2e, 0x63]), // not UTF-8
    enc.encode("ünïcode.de"),
    "tab\t.com",
  ];
  for (const name of bad) assertEquals(addressFromName(name), null, JSON.stringify(String(name)));
});

Deno.test("addresses: a SOCKS domain with a newline, a NUL or bytes that are not UTF-8 is refused", () => {
  for (const name of [enc.encode("a\nb.com"), enc.encode("a\0b"), new Uint8Array([0xc3, 0x28])]) {
    const req = new Uint8Array([3, name.length, ...name, 0, 80]);
    const e = assertThrows(() => parseSocksAddress(req, 0), ProtocolError);
    assertEquals((e as ProtocolError).code, "bad-address");
  }
  assertEquals(
    parseSocksAddress(new Uint8Array([3, 3, 0x61, 0x2e, 0x62, 0, 80]), 0)?.address,
    "a.b",
  );
});

Deno.test("addresses: an HTTP request to a host that is not a valid name has no destination", () => {
  const dest = (head: string) => {
    const h = parseRequestHead(enc.encode(head));
    return h && requestDestination(h.value, false);
  };
  assertEquals(dest("CONNECT example.com:443 HTTP/1.1\r\n\r\n"), {
    network: "tcp",
    address: "example.com",
    port: 443,
  });
  assertEquals(dest("CONNECT exa%mple.com:443 HTTP/1.1\r\n\r\n"), null);
  assertEquals(dest("GET http://bad_$host/ HTTP/1.1\r\n\r\n"), null);
});

Deno.test("http heads: bare-LF line endings are read as Go's net/http reads them", () => {
  const h = parseRequestHead(enc.encode("GET http://a.b/x HTTP/1.1\nHost: a.b\n\nrest"));
  assert(h !== null);
  assertEquals(h.value.target, "http://a.b/x");
  assertEquals(h.used, "GET http://a.b/x HTTP/1.1\nHost: a.b\n\n".length);
});

Deno.test("logs: control characters are escaped, so no input starts a new line", () => {
  assertEquals(escapeControl("a\nb\r\0c\x1b[31m\u2028"), "a\\x0ab\\x0d\\x00c\\x1b[31m\\u2028");
  const lines: string[] = [];
  const logger = new Logger("debug", memorySink(lines), memorySink(lines));
  logger.info("x\ny");
  logger.access("from tcp:1.2.3.4:5 accepted tcp:evil\n2026/01/01 00:00:00 forged:80");
  assertEquals(lines.length, 2);
  assert(lines.every((l) => !l.includes("\n")), lines.join("|"));
});

Deno.test("socks inbound: a newline in the requested domain is refused, and no access line is written", async () => {
  await using echo = new EchoServer();
  const lines: string[] = [];
  await using inst = await RunningInstance.start({
    inbounds: [{ listen: "127.0.0.1", port: 0, protocol: "socks" }],
    outbounds: [{ protocol: "freedom" }],
  }, new Logger("info", memorySink(lines), memorySink(lines)));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: inst.port() });
  try {
    await conn.write(new Uint8Array([5, 1, 0]));
    const hello = new Uint8Array(2);
    assertEquals(await conn.read(hello), 2);
    const name = enc.encode("127.0.0.1\n2026/01/01 00:00:00 from tcp:6.6.6.6:1 accepted x");
    await conn.write(
      new Uint8Array([5, 1, 0, 3, name.length, ...name, echo.port >> 8, echo.port & 0xff]),
    );
    // No reply: the request is refused and the connection closed.
    const got = await within(conn.read(new Uint8Array(16)).catch(() => null), 10_000, "close");
    assertEquals(got, null);
  } finally {
    conn.close();
  }
  assertEquals(lines.filter((l) => l.includes("accepted")), [], lines.join("\n"));
  assert(lines.some((l) => l.includes("invalid domain name")), lines.join("\n"));
});

Deno.test("http inbound: a request with bare-LF line endings is answered", async () => {
  await using origin = new HttpOrigin("hello");
  await using inst = await RunningInstance.start({
    inbounds: [{ listen: "127.0.0.1", port: 0, protocol: "http" }],
    outbounds: [{ protocol: "freedom" }],
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: inst.port() });
  try {
    const host = `127.0.0.1:${origin.port}`;
    await conn.write(
      enc.encode(`GET http://${host}/lf HTTP/1.1\nHost: ${host}\nConnection: close\n\n`),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await within(conn.read(buf), 10_000, "the response");
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    assert(text.startsWith("HTTP/1.1 200"), text);
    assert(text.endsWith("hello /lf"), text);
  } finally {
    conn.close();
  }
});

Deno.test("config: 200,000 nested brackets are an error with a location, not a stack overflow", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/deep.json`, "[".repeat(200_000));
    await Deno.writeTextFile(
      `${dir}/ok.json`,
      // Brackets inside strings and comments do not count; 400 real levels are fine.
      `// [[[[\n{"s": "[[[[{{{{", "x": ${"[".repeat(400)}${"]".repeat(400)}}`,
    );
    const e = await loadConfigFiles([`${dir}/deep.json`]).catch((e) => e);
    assert(e instanceof ConfigError, String(e));
    assertStringIncludes(e.message, "nesting deeper than 512 levels at line 1, column 513");
    // Stray closing brackets before the opening ones do not make room for more levels.
    await Deno.writeTextFile(
      `${dir}/stray.json`,
      `{"a":[${"]".repeat(200_000)},"b":${"[".repeat(200_000)}`,
    );
    const stray = await loadConfigFiles([`${dir}/stray.json`]).catch((e) => e);
    assert(stray instanceof ConfigError, String(stray));
    assertStringIncludes(stray.message, "nesting deeper than 512 levels");
    const ok = await loadConfigFiles([`${dir}/ok.json`]);
    assert(ok.warnings.some((w) => w.path.join(".") === "x"), JSON.stringify(ok.warnings));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config: bytes that are not UTF-8 are a warning naming their line and column", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = new Uint8Array([
      ...enc.encode('{\n  "log": { "loglevel": "warning" },\n  "x": "caf'),
      0xe9, // Latin-1 é
      ...enc.encode('"\n}'),
    ]);
    await Deno.writeFile(`${dir}/latin1.json`, bytes);
    const { warnings } = await loadConfigFiles([`${dir}/latin1.json`]);
    const w = warnings.map(formatIssue).join("\n");
    assertStringIncludes(w, "bytes that are not UTF-8 at line 3, column 12");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config: the UTF-8 check agrees with a strict decoder on any bytes", () => {
  const strict = new TextDecoder("utf-8", { fatal: true });
  fc.assert(
    fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string().map((s) => enc.encode(s))),
      (b) => {
        let valid = true;
        try {
          strict.decode(b);
        } catch {
          valid = false;
        }
        assertEquals(invalidUtf8At(b) === -1, valid);
      },
    ),
    fuzzParams(),
  );
});
