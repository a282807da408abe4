import fc from "fast-check";
import { fuzzParams } from "./helpers/fuzz.ts";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { ProtocolError } from "../lib/core/errors.ts";
import { concatBytes, fromHex, utf8 } from "../lib/core/bytes.ts";
import { formatIP } from "../lib/core/destination.ts";
import {
  encodeProxyV1,
  encodeProxyV2,
  parseProxyHeader,
  type ProxyHeader,
} from "../lib/proxy_protocol/mod.ts";

/** Parses `b` fed one growing prefix at a time: null before the end, the header at it. */
function parseGrowing(b: Uint8Array, used: number): ProxyHeader {
  for (let i = 0; i < used; i++) assertEquals(parseProxyHeader(b.subarray(0, i)), null, `at ${i}`);
  const h = parseProxyHeader(b);
  assert(h !== null);
  assertEquals(h.used, used);
  return h;
}

Deno.test("PROXY v1: TCP4, TCP6 and UNKNOWN known answers, at every split", () => {
  const line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
  const h = parseGrowing(utf8(line + "GET / HTTP/1.1\r\n"), line.length);
  assertEquals(h, {
    version: 1,
    command: "proxy",
    family: "tcp4",
    source: { address: "192.168.0.1", port: 56324 },
    destination: { address: "192.168.0.11", port: 443 },
    used: line.length,
  });
  const six = "PROXY TCP6 2001:DB8:0:0::1 ::ffff:10.0.0.1 65535 0\r\n";
  const h6 = parseGrowing(utf8(six), six.length);
  assertEquals(h6.source, { address: "2001:db8::1", port: 65535 });
  assertEquals(h6.destination, { address: "::ffff:a00:1", port: 0 });
  const unknown = "PROXY UNKNOWN\r\n";
  assertEquals(parseGrowing(utf8(unknown + "x"), unknown.length).source, null);
  // The spec's worst case: 107 bytes, and whatever follows UNKNOWN is ignored.
  const worst = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n";
  assertEquals(parseGrowing(utf8(worst), worst.length).family, "unspec");
  const longest = `PROXY UNKNOWN ${"f".repeat(107 - 16)}\r\n`;
  assertEquals(longest.length, 107);
  assertEquals(parseGrowing(utf8(longest), 107).used, 107);
});

Deno.test("PROXY v2: PROXY TCP4/TCP6, LOCAL and TLVs known answers, at every split", () => {
  const v4 = fromHex("0d0a0d0a000d0a515549540a 21 11 000c 7f000001 0a000001 04d2 0050");
  const h = parseGrowing(concatBytes(v4, utf8("data")), 28);
  assertEquals(h, {
    version: 2,
    command: "proxy",
    family: "tcp4",
    source: { address: "127.0.0.1", port: 1234 },
    destination: { address: "10.0.0.1", port: 80 },
    used: 28,
  });
  const local = fromHex("0d0a0d0a000d0a515549540a 20 00 0000");
  assertEquals(parseGrowing(local, 16), {
    version: 2,
    command: "local",
    family: "unspec",
    source: null,
    destination: null,
    used: 16,
  });
  // haproxy's send-proxy-v2 with a NOOP TLV and a unique-id TLV: both skipped.
  const tlvs = fromHex("04 0002 0000 05 0003 616263");
  const v6 = encodeProxyV2({
    source: { address: "2001:db8::5", port: 40000 },
    destination: { address: "::1", port: 443 },
    tlvs,
  });
  assertEquals(v6.length, 16 + 36 + tlvs.length);
  const h6 = parseGrowing(concatBytes(v6, utf8("rest")), v6.length);
  assertEquals(h6.source, { address: "2001:db8::5", port: 40000 });
  assertEquals(h6.family, "tcp6");
  // LOCAL with addresses still carries none we use.
  const localAddr = encodeProxyV2({
    command: "local",
    source: { address: "1.2.3.4", port: 1 },
    destination: { address: "5.6.7.8", port: 2 },
  });
  assertEquals(parseProxyHeader(localAddr)?.source, null);
  // UDP and unix families: addresses of UDP are kept, unix gives none.
  const udp = fromHex("0d0a0d0a000d0a515549540a 21 12 000c 01020304 05060708 0001 0002");
  assertEquals(parseProxyHeader(udp)?.source, { address: "1.2.3.4", port: 1 });
  const unix = concatBytes(fromHex("0d0a0d0a000d0a515549540a 21 31 00d8"), new Uint8Array(216));
  assertEquals(parseProxyHeader(unix)?.family, "unix");
  assertEquals(parseProxyHeader(unix)?.source, null);
});

const MALFORMED: [string, Uint8Array][] = [
  ["does not start", utf8("GET / HTTP/1.1\r\n")],
  ["does not start", utf8("PROXY\r\n")],
  ["does not start", fromHex("0d0a0d0a00ff")],
  ["longer than 107", utf8("PROXY UNKNOWN " + "x".repeat(120))],
  ["without CRLF", utf8("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n")],
  ["not TCP4, TCP6 or UNKNOWN", utf8("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n")],
  ["6 fields", utf8("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n")],
  ["6 fields", utf8("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n")],
  ["not an IPv4", utf8("PROXY TCP4 ::1 5.6.7.8 1 2\r\n")],
  ["not an IPv4", utf8("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n")],
  ["not an IPv6", utf8("PROXY TCP6 1.2.3.4 ::1 1 2\r\n")],
  ["not a port", utf8("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n")],
  ["not a port", utf8("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n")],
  ["version/command", fromHex("0d0a0d0a000d0a515549540a 11 11 000c")],
  ["version/command", fromHex("0d0a0d0a000d0a515549540a 22")],
  ["address family", fromHex("0d0a0d0a000d0a515549540a 21 41")],
  ["address family", fromHex("0d0a0d0a000d0a515549540a 21 13 000c")],
  ["over 4080", fromHex("0d0a0d0a000d0a515549540a 21 11 0ff1")],
  ["too short for tcp4", fromHex("0d0a0d0a000d0a515549540a 21 11 0004 00000000")],
  ["too short for tcp6", fromHex("0d0a0d0a000d0a515549540a 21 21 000c")],
];

Deno.test("PROXY: every malformed header is a ProtocolError 'proxy-protocol', as early as it shows", () => {
  for (const [what, bytes] of MALFORMED) {
    const e = assertThrows(() => parseProxyHeader(bytes), ProtocolError, what);
    assertEquals(e.code, "proxy-protocol");
  }
  // A plain client is refused at its first byte.
  assertThrows(() => parseProxyHeader(utf8("G")), ProtocolError);
  // The limit is an option.
  assertThrows(
    () => parseProxyHeader(fromHex("0d0a0d0a000d0a515549540a 21 11 0100"), { maxV2Length: 255 }),
    ProtocolError,
    "over 255",
  );
});

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join("."));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIP);
const port = fc.nat(65535);

Deno.test("PROXY: property: encoded v1 and v2 headers parse back at any split", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.tuple(ipv4, ipv4),
        fc.tuple(ipv6, ipv6),
      ),
      port,
      port,
      fc.boolean(),
      fc.uint8Array({ maxLength: 40 }),
      fc.nat(),
      ([src, dst], sp, dp, v2, tail, cut) => {
        const source = { address: src, port: sp }, destination = { address: dst, port: dp };
        const header = v2
          ? encodeProxyV2({ source, destination, tlvs: Uint8Array.of(4, 0, 1, 0) })
          : encodeProxyV1(source, destination);
        const wire = concatBytes(header, tail);
        const at = cut % header.length;
        assertEquals(parseProxyHeader(wire.subarray(0, at)), null);
        const h = parseProxyHeader(wire);
        assertEquals(h?.source, source);
        assertEquals(h?.destination, destination);
        assertEquals(h?.used, header.length);
      },
    ),
    fuzzParams({ numRuns: 500 }),
  );
});

Deno.test("PROXY: property: random bytes give null, a header or a ProtocolError, never another throw", () => {
  const prefixes = [utf8("PROXY "), fromHex("0d0a0d0a000d0a515549540a"), new Uint8Array(0)];
  fc.assert(
    fc.property(fc.nat(2), fc.uint8Array({ maxLength: 300 }), (p, bytes) => {
      try {
        const h = parseProxyHeader(concatBytes(prefixes[p], bytes));
        if (h) assert(h.used > 0 && h.used <= prefixes[p].length + bytes.length);
      } catch (e) {
        assert(e instanceof ProtocolError, String(e));
      }
    }),
    fuzzParams({ numRuns: 3000 }),
  );
});
