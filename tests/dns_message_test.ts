/**
 * The DNS codec (lib/dns/message.ts) and the pure pieces around it: known-answer queries and
 * responses, compression, malformed input refused with DnsFormatError (fast-check fuzzed), domain
 * rules and their order, the hosts table, the expiring cache.
 */
import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { fuzzParams } from "./helpers/fuzz.ts";
import { answer, type ZoneEntry } from "./helpers/dns_server.ts";
import {
  buildQuery,
  DnsFormatError,
  DomainRuleGroup,
  encodeName,
  ExpiringCache,
  parseDomainRule,
  parseResponse,
  ServerOrder,
  StaticHosts,
} from "../lib/dns/mod.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("dns query: known bytes of an A query with EDNS", () => {
  const q = buildQuery({ id: 0x1234, name: "example.com", type: "A" });
  assertEquals(
    hex(q),
    "123401000001000000000001" + // id, RD, one question, one additional
      "076578616d706c6503636f6d00" + "0001" + "0001" + // example.com A IN
      "00" + "0029" + "0546" + "00000000" + "0000", // OPT, 1350 bytes, no options
  );
  const aaaa = buildQuery({ id: 1, name: "example.com.", type: "AAAA" });
  assertEquals(hex(aaaa.subarray(25, 29)), "001c0001");
});

Deno.test("dns query: the client subnet is /24 or /96, masked, as 4.34 sends it", () => {
  const v4 = buildQuery({
    id: 7,
    name: "a.test",
    type: "A",
    clientSubnet: { address: new Uint8Array([192, 168, 1, 77]), prefix: 24 },
  });
  assertEquals(
    hex(v4.subarray(v4.length - 13)),
    "000b" + "0008" + "0007" + "0001" + "18" + "00" + "c0a801",
  );
  const v6 = buildQuery({
    id: 7,
    name: "a.test",
    type: "A",
    clientSubnet: { address: new Uint8Array(16).fill(0xab), prefix: 20 },
  });
  // 20 bits: three bytes, the last with its low four bits cleared.
  assertEquals(hex(v6.subarray(v6.length - 7)), "0002" + "14" + "00" + "ababa0");
});

Deno.test("dns names: labels of 1–63 printable ASCII bytes, 255 in all", () => {
  assertEquals(hex(encodeName("")), "00");
  assertEquals(hex(encodeName("a.")), "016100");
  for (
    const bad of [
      "a..b",
      "x".repeat(64) + ".com",
      Array(130).fill("a").join("."),
      "é.test",
      "a b.c",
    ]
  ) {
    assertThrows(() => encodeName(bad), DnsFormatError);
  }
  encodeName(Array(4).fill("x".repeat(61)).join(".")); // 4 × 62 + 1 = 249 bytes
});

const RESPONSE = (() => {
  // example.com CNAME web.example.com; web.example.com A 93.184.216.34 (TTL 60), compressed.
  const header = "abcd" + "8180" + "0001" + "0002" + "0000" + "0000";
  const question = "076578616d706c6503636f6d00" + "0001" + "0001";
  const cname = "c00c" + "0005" + "0001" + "00000e10" + "0006" + "03776562" + "c00c";
  const a = "c029" + "0001" + "0001" + "0000003c" + "0004" + "5db8d822";
  return Uint8Array.from((header + question + cname + a).match(/../g)!.map((h) => parseInt(h, 16)));
})();

Deno.test("dns response: compressed names, CNAME skipped, A kept", () => {
  const r = parseResponse(RESPONSE);
  assertEquals(r.id, 0xabcd);
  assert(r.isResponse && !r.truncated);
  assertEquals(r.rcode, 0);
  assertEquals(r.question, { name: "example.com", type: 1 });
  assertEquals(r.answers, [{
    name: "web.example.com",
    type: "A",
    ttl: 60,
    address: "93.184.216.34",
  }]);
});

Deno.test("dns response: every truncation of a message is refused", () => {
  for (let n = 0; n < RESPONSE.length; n++) {
    assertThrows(() => parseResponse(RESPONSE.subarray(0, n)), DnsFormatError);
  }
});

Deno.test("dns response: pointers that do not point back, loops and bad records are refused", () => {
  const base = Array.from(RESPONSE);
  const forward = base.slice();
  forward[48] = 0x30; // the A record's owner (at 47) points past itself
  assertThrows(() => parseResponse(Uint8Array.from(forward)), DnsFormatError);
  const self = base.slice();
  self[47] = 0xc0;
  self[48] = 47; // points at itself
  assertThrows(() => parseResponse(Uint8Array.from(self)), DnsFormatError);
  const shortA = base.slice(0, base.length - 1);
  shortA[shortA.length - 4] = 3; // an A record of 3 bytes
  assertThrows(() => parseResponse(Uint8Array.from(shortA)), DnsFormatError);
  const labelType = base.slice();
  labelType[12] = 0x47; // label type 01
  assertThrows(() => parseResponse(Uint8Array.from(labelType)), DnsFormatError);
});

Deno.test("dns response: a SOA gives the negative TTL, the smaller of its TTL and MINIMUM", () => {
  const q = buildQuery({ id: 9, name: "gone.test", type: "A" });
  const zone: Record<string, ZoneEntry> = { "gone.test": { soa: [900, 120] } };
  const r = parseResponse(answer(q, zone)!);
  assertEquals([r.rcode, r.answers.length, r.negativeTtl], [0, 0, 120]);
  const nx = parseResponse(answer(q, {})!);
  assertEquals([nx.rcode, nx.negativeTtl], [3, undefined]);
});

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join("."));
const label = fc.stringMatching(/^[a-z0-9]{1,12}$/);
const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));

Deno.test("dns (property): answers of the test server parse back to what it was given", () => {
  fc.assert(
    fc.property(
      name,
      fc.integer({ min: 0, max: 0xffff }),
      fc.array(ipv4, { maxLength: 6 }),
      fc.integer({ min: 0, max: 0x7fffffff }),
      (n, id, addrs, ttl) => {
        const q = buildQuery({ id, name: n, type: "A" });
        const r = parseResponse(answer(q, { [n]: { A: addrs, ttl } })!);
        assertEquals(r.id, id);
        assertEquals(r.question, { name: n, type: 1 });
        assertEquals(
          r.answers,
          addrs.map((address) => ({ name: n, type: "A" as const, ttl, address })),
        );
      },
    ),
    fuzzParams(),
  );
});

Deno.test("dns (property): any bytes parse or are DnsFormatError, never another throw", () => {
  const valid = fc.tuple(name, fc.array(ipv4, { maxLength: 4 })).map(([n, a]) =>
    answer(buildQuery({ id: 1, name: n, type: "A" }), { [n]: { A: a } })!
  );
  const mutated = fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 })).map(
    ([b, edits]) => {
      const c = b.slice();
      for (const [at, v] of edits) c[at % c.length] = v;
      return c;
    },
  );
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated), (bytes) => {
      try {
        parseResponse(bytes);
      } catch (e) {
        assert(e instanceof DnsFormatError, String(e));
      }
    }),
    fuzzParams(),
  );
});

Deno.test("dns: names of many nested pointers are refused, and quickly", () => {
  // 20,000 questions, each name a pointer to the one before: a name may follow at most 127.
  const n = 20_000;
  const b = new Uint8Array(12 + 5 + 6 * n);
  b[4] = (n + 1) >> 8;
  b[5] = (n + 1) & 0xff;
  b.set([0, 0, 1, 0, 1], 12); // the first question: the root name
  for (let i = 1, prev = 12; i <= n; i++) {
    const at = 17 + 6 * (i - 1);
    b.set([0xc0 | (prev >> 8), prev & 0xff, 0, 1, 0, 1], at);
    prev = at;
  }
  const e = assertThrows(() => parseResponse(b), DnsFormatError);
  assertEquals(e.message, "too many compression pointers");
});

Deno.test("domain rules: 4.34's forms, and errors", () => {
  assertEquals(parseDomainRule("example.com", "keyword"), {
    kind: "keyword",
    value: "example.com",
  });
  assertEquals(parseDomainRule("example.com", "full"), { kind: "full", value: "example.com" });
  assertEquals(parseDomainRule("domain:a.test", "full"), { kind: "domain", value: "a.test" });
  assertEquals(parseDomainRule("full:a.test", "keyword"), { kind: "full", value: "a.test" });
  assertEquals(parseDomainRule("keyword:ads", "full"), { kind: "keyword", value: "ads" });
  assertEquals(parseDomainRule("regexp:^x\\.", "full"), { kind: "regex", value: "^x\\." });
  assertEquals(parseDomainRule("dotless:", "full"), { kind: "regex", value: "^[^.]*[^.]*$" });
  for (const bad of ["domain:", "regexp:(", "dotless:a.b", "geosite:cn", "ext:x.dat:y", ""]) {
    assert("error" in parseDomainRule(bad, "full"), bad);
  }
});

Deno.test("domain rule group: full names, then suffixes from the longest, then the others", () => {
  const g = new DomainRuleGroup();
  g.add({ kind: "keyword", value: "exa" }, 1);
  g.add({ kind: "domain", value: "com" }, 2);
  g.add({ kind: "domain", value: "example.com" }, 3);
  g.add({ kind: "full", value: "www.example.com" }, 4);
  g.add({ kind: "regex", value: "^www\\.example" }, 5);
  assertEquals(g.match("www.EXAMPLE.com"), [4, 3, 2, 1]); // the regex sees the name as given
  assertEquals(g.match("www.example.com"), [4, 3, 2, 1, 5]);
  assertEquals(g.match("example.com"), [3, 2, 1]);
  assertEquals(g.match("notexample.com"), [2, 1]);
  assertEquals(g.match("other.org"), []);
});

Deno.test("server order: servers whose domains match first, then the rest in order", () => {
  const order = new ServerOrder([
    [],
    [{ kind: "domain", value: "corp.test" }],
    [{ kind: "full", value: "x.corp.test" }],
  ]);
  assertEquals(order.order("x.corp.test"), [2, 1, 0]);
  assertEquals(order.order("y.corp.test"), [1, 0, 2]);
  assertEquals(order.order("example.org"), [0, 1, 2]);
});

Deno.test("hosts: exact, domain:, keyword, lists, families, and a name standing for another", () => {
  const hosts = new StaticHosts([
    { rule: "a.test", values: ["10.0.0.1"] },
    { rule: "domain:b.test", values: ["10.0.0.2", "fd00::2"] },
    { rule: "full:c.test", values: ["d.test"] },
    { rule: "d.test", values: ["10.0.0.4"] },
    { rule: "e.test", values: ["127.0.0.1"] },
    { rule: "f.test", values: ["nowhere.test"] },
    { rule: "loop.test", values: ["loop.test"] },
  ]);
  assertEquals(hosts.lookup("a.test", "ip"), { kind: "ips", ips: ["10.0.0.1"] });
  assertEquals(hosts.lookup("x.a.test", "ip"), { kind: "none" });
  assertEquals(hosts.lookup("x.b.test", "ip"), { kind: "ips", ips: ["10.0.0.2", "fd00::2"] });
  assertEquals(hosts.lookup("b.test", "ipv6"), { kind: "ips", ips: ["fd00::2"] });
  assertEquals(hosts.lookup("a.test", "ipv6"), { kind: "ips", ips: [] });
  assertEquals(hosts.lookup("c.test", "ip"), { kind: "ips", ips: ["10.0.0.4"] });
  assertEquals(hosts.lookup("f.test", "ip"), { kind: "domain", domain: "nowhere.test" });
  assertEquals(hosts.lookup("loop.test", "ip"), { kind: "domain", domain: "loop.test" });
  // As 4.34: a lone 127.0.0.1 answers AAAA with ::1.
  assertEquals(hosts.lookup("e.test", "ipv6"), { kind: "ips", ips: ["::1"] });
});

Deno.test("expiring cache: entries leave at their time, and the oldest when full", () => {
  const c = new ExpiringCache<number>(2);
  c.set("a", 1, 1000, 0);
  c.set("b", 2, 500, 0);
  assertEquals([c.get("a", 499), c.get("b", 499)], [1, 2]);
  assertEquals(c.get("b", 500), undefined);
  c.set("b", 2, 5000, 600);
  c.set("c", 3, 5000, 600); // full: "a" (oldest) goes
  assertEquals([c.get("a", 600), c.get("b", 600), c.get("c", 600)], [undefined, 2, 3]);
  assertEquals(c.size, 2);
});
