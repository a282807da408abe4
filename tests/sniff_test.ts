/**
 * The sniffers (lib/sniff): known answers for HTTP Host, TLS SNI and BitTorrent, the same answer
 * over every split of the bytes, and properties: a verdict on a prefix other than "need more" is
 * final, and no input throws.
 */
import fc from "fast-check";
import { assert, assertEquals } from "./assert.ts";
import { fuzzParams } from "./helpers/fuzz.ts";
import { clientHelloMessage, inRecords } from "./helpers/tls_hello.ts";
import {
  sniff,
  sniffBittorrent,
  type SniffedProtocol,
  type Sniffer,
  sniffHttp,
  sniffTls,
  type SniffVerdict,
} from "../lib/sniff/mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const found = (protocol: SniffedProtocol, domain: string | null): SniffVerdict => ({
  kind: "found",
  protocol,
  domain,
});

// The verdict after each prefix of `bytes`, as a stream that arrives in pieces would see them.
function prefixes(s: Sniffer, bytes: Uint8Array): SniffVerdict[] {
  return Array.from({ length: bytes.length + 1 }, (_, n) => s(bytes.subarray(0, n)));
}

// Need more on every proper prefix, then `want` on the whole.
function assertNeedsAll(s: Sniffer, bytes: Uint8Array, want: SniffVerdict): void {
  const v = prefixes(s, bytes);
  const early = v.slice(0, -1).findIndex((x) => x.kind !== "need-more");
  assertEquals(
    early,
    -1,
    `decided after ${early} of ${bytes.length} bytes: ${JSON.stringify(v[early])}`,
  );
  assertEquals(v[v.length - 1], want);
}

Deno.test("sniff http: the Host header of a request head, port and case dropped", () => {
  const req = "GET /index.html HTTP/1.1\r\nUser-Agent: x\r\nHost: Example.COM:8080\r\n\r\n";
  assertEquals(sniffHttp(enc(req)), found("http1", "example.com"));
  assertEquals(sniffHttp(enc("post / HTTP/1.0\nhost: a.test\n\n")), found("http1", "a.test"));
  assertEquals(
    sniffHttp(enc("CONNECT x HTTP/1.1\r\nHost: [::1]:443\r\n\r\n")),
    found("http1", "::1"),
  );
  assertEquals(
    sniffHttp(enc("GET / HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n")),
    found("http1", "10.0.0.1"),
  );
  // Found as soon as the Host line is complete; the rest of the head is not waited for.
  assertEquals(sniffHttp(enc("GET / HTTP/1.1\r\nHost: a.test\r\nAcc")), found("http1", "a.test"));
});

Deno.test("sniff http: not HTTP, no Host, or a Host that is not a name", () => {
  for (
    const s of [
      "SSH-2.0-OpenSSH\r\n",
      "GETX / HTTP/1.1\r\n",
      "\x16\x03\x01",
      "PATCH / HTTP/1.1\r\n",
    ]
  ) {
    assertEquals(sniffHttp(enc(s)).kind, "not-this", s);
  }
  assertEquals(sniffHttp(enc("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n")).kind, "not-this");
  assertEquals(sniffHttp(enc("GET / HTTP/1.1\r\nHost: a b\r\n\r\n")).kind, "not-this");
  assertEquals(sniffHttp(enc("GET / HTTP/1.1\r\nHost: a\u0001b\r\n\r\n")).kind, "not-this");
  assertEquals(sniffHttp(enc("GET / HTTP/1.1\r\nHost: :80\r\n\r\n")).kind, "not-this");
  for (const s of ["", "G", "ge", "DELET", "GET", "GET / HTTP/1.1\r\nHo"]) {
    assertEquals(sniffHttp(enc(s)).kind, "need-more", JSON.stringify(s));
  }
});

Deno.test("sniff http: every split of a request gives the same answer", () => {
  const req = enc("OPTIONS * HTTP/1.1\r\nX-A: b\r\nhOsT:   sub.Example.org  \r\n\r\n");
  const hostEnd = new TextDecoder().decode(req).indexOf("\r\n\r\n") + 2;
  assertNeedsAll(sniffHttp, req.subarray(0, hostEnd), found("http1", "sub.example.org"));
});

Deno.test("sniff tls: the SNI of a ClientHello, over records split anywhere", () => {
  const hello = clientHelloMessage({ sni: "www.Example.com", before: [[10, new Uint8Array(6)]] });
  const want = found("tls", "www.Example.com");
  assertEquals(sniffTls(inRecords(hello)), want);
  assertNeedsAll(sniffTls, inRecords(hello), want);
  // The hello fragmented over three handshake records (TLS allows it; 4.34 reads only the first).
  assertNeedsAll(sniffTls, inRecords(hello, [3, 40]), want);
  assertNeedsAll(sniffTls, inRecords(hello, [1, 1, 1, 1, 1]), want);
});

Deno.test("sniff tls: no SNI, a trailing dot, another record type or handshake are not TLS", () => {
  assertEquals(sniffTls(inRecords(clientHelloMessage({ sni: null }))).kind, "not-this");
  assertEquals(sniffTls(inRecords(clientHelloMessage({ sni: "a.test." }))).kind, "not-this");
  const hello = inRecords(clientHelloMessage({ sni: "a.test" }));
  assertEquals(sniffTls(Uint8Array.of(0x17, ...hello.subarray(1))).kind, "not-this");
  assertEquals(sniffTls(Uint8Array.of(0x16, 2, ...hello.subarray(2))).kind, "not-this");
  const serverHello = hello.slice();
  serverHello[5] = 2;
  assertEquals(sniffTls(serverHello).kind, "not-this");
  // A name that is not a valid domain: still TLS (for protocol rules), but no destination.
  assertEquals(sniffTls(inRecords(clientHelloMessage({ sni: "a b" }))), found("tls", null));
  // A record of length 0, or a record that is not a handshake after the first.
  assertEquals(sniffTls(Uint8Array.of(0x16, 3, 1, 0, 0)).kind, "not-this");
  const two = inRecords(clientHelloMessage({ sni: "a.test" }), [10]);
  two[15] = 0x17;
  assertEquals(sniffTls(two).kind, "not-this");
});

Deno.test("sniff bittorrent: the peer handshake", () => {
  const hs = Uint8Array.of(19, ...enc("BitTorrent protocol"), ...new Uint8Array(48));
  assertEquals(sniffBittorrent(hs), found("bittorrent", null));
  assertNeedsAll(sniffBittorrent, hs.subarray(0, 20), found("bittorrent", null));
  assertEquals(sniffBittorrent(Uint8Array.of(19, ...enc("BitTorrent protocoX"))).kind, "not-this");
  assertEquals(sniffBittorrent(Uint8Array.of(18)).kind, "not-this");
});

Deno.test("sniff: the sniffers together, in 4.34's order", () => {
  assertEquals(sniff(enc("GET / HTTP/1.1\r\nHost: h.test\r\n\r\n")), found("http1", "h.test"));
  assertEquals(sniff(inRecords(clientHelloMessage({ sni: "t.test" }))), found("tls", "t.test"));
  assertEquals(sniff(Uint8Array.of(19, ...enc("BitTorrent protocol"))), found("bittorrent", null));
  assertEquals(sniff(enc("SSH-2.0-x\r\n")).kind, "not-this");
  assertEquals(sniff(new Uint8Array(0)).kind, "need-more");
  assertEquals(sniff(Uint8Array.of(0x16)).kind, "need-more");
});

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join("."));
const extension = fc.tuple(
  fc.integer({ min: 1, max: 0xffff }),
  fc.uint8Array({ maxLength: 64 }),
).map(([t, d]) => [t, d] as const);

Deno.test("sniff tls (property): any hello, any fragmentation, every prefix needs more", () => {
  fc.assert(
    fc.property(
      domain,
      fc.uint8Array({ maxLength: 32 }),
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 40 }),
      fc.array(extension, { maxLength: 5 }),
      fc.array(extension, { maxLength: 5 }),
      fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 8 }),
      (sni, sessionId, suites, before, after, sizes) => {
        const hello = clientHelloMessage({ sni, sessionId, suites, before, after });
        assertNeedsAll(sniffTls, inRecords(hello, sizes), found("tls", sni));
      },
    ),
    fuzzParams(),
  );
});

Deno.test("sniff http (property): any head with a Host, every prefix before its line needs more", () => {
  const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/).filter((n) =>
    n.toLowerCase() !== "host"
  );
  fc.assert(
    fc.property(
      fc.constantFrom("GET", "post", "Head", "PUT", "DELETE", "OPTIONS", "CONNECT"),
      fc.array(fc.tuple(headerName, fc.stringMatching(/^[ -~]{0,30}$/)), { maxLength: 6 }),
      domain,
      fc.option(fc.integer({ min: 1, max: 65535 })),
      fc.boolean(),
      (method, headers, host, port, crlf) => {
        const nl = crlf ? "\r\n" : "\n";
        const lines = [`${method} / HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`)];
        lines.push(`Host: ${host}${port === null ? "" : `:${port}`}`);
        assertNeedsAll(sniffHttp, enc(lines.join(nl) + nl), found("http1", host));
      },
    ),
    fuzzParams(),
  );
});

// Prefixes that steer random bytes into each sniffer's deeper states.
const steered = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) =>
    Uint8Array.of(0x16, 3, 1, 0, 200, 1, 0, 0, 190, ...b)
  ),
  fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.of(...enc("GET / HTTP/1.1\r\n"), ...b)),
  fc.tuple(domain, fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 4 }), fc.nat()).map(
    ([sni, cuts, flip]) => {
      // A valid hello with one byte changed.
      const b = inRecords(clientHelloMessage({ sni }), cuts).slice();
      b[flip % b.length] ^= 0x5a;
      return b;
    },
  ),
);

Deno.test("sniffers (property): a verdict other than need-more is final, and nothing throws", () => {
  fc.assert(
    fc.property(steered, (bytes) => {
      for (const s of [sniffHttp, sniffTls, sniffBittorrent, sniff]) {
        const v = prefixes(s, bytes);
        const first = v.findIndex((x) => x.kind !== "need-more");
        if (first < 0) continue;
        for (let n = first; n < v.length; n++) {
          assertEquals(v[n], v[first], `${s.name}: changed its mind at ${n} bytes`);
        }
      }
    }),
    fuzzParams(),
  );
});

Deno.test("sniff tls: a ClientHello larger than the limit is not waited for", () => {
  const big = clientHelloMessage({ sni: "a.test", after: [[21, new Uint8Array(20000)]] });
  const v = sniffTls(inRecords(big, [16000]).subarray(0, 100));
  assert(v.kind === "not-this", JSON.stringify(v));
});
