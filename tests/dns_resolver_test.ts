/**
 * The built-in DNS (lib/dns_client) against small DNS servers run in the test (UDP on 127.0.0.1):
 * hosts, server order and fallback, `domains` choosing a server, `expectIps`, the client subnet,
 * timeouts, the TTL cache driven by an injected clock, DoH, and routing and freedom using it.
 */
import { assert, assertEquals } from "./assert.ts";
import { answer, TestDnsServer, type ZoneEntry } from "./helpers/dns_server.ts";
import { loadConfigObject } from "../lib/config/mod.ts";
import type { DnsConfig } from "../lib/config/mod.ts";
import { DnsLookupError, DnsResolver, type ResolverOptions } from "../lib/dns_client/mod.ts";
import { silentLogger } from "../lib/log/mod.ts";
import { createRouter } from "../lib/routing/mod.ts";
import { RoutingDispatcher } from "../lib/engine/dispatcher.ts";
import type { Outbound } from "../lib/core/handlers.ts";

const A = 1, AAAA = 28;

/** The `dns` section `dns` parsed as a config would be. */
function dnsConfig(dns: unknown): DnsConfig {
  const { config } = loadConfigObject({ dns, outbounds: [{ protocol: "freedom" }] });
  return config.dns!;
}

function resolver(dns: unknown, options: ResolverOptions = {}): DnsResolver {
  return new DnsResolver(dnsConfig(dns), silentLogger, options);
}

async function failure(p: Promise<unknown>): Promise<DnsLookupError> {
  try {
    await p;
  } catch (e) {
    assert(e instanceof DnsLookupError, String(e));
    return e;
  }
  throw new Error("the lookup succeeded");
}

const server = (s: TestDnsServer, extra: Record<string, unknown> = {}) => ({
  address: "127.0.0.1",
  port: s.port,
  ...extra,
});

Deno.test("dns: hosts answer first, in every form 4.34 has, without asking a server", async () => {
  await using s = new TestDnsServer({ "real.test": { A: ["192.0.2.9"] } });
  const r = resolver({
    hosts: {
      "exact.test": "10.1.1.1",
      "domain:wild.test": ["10.2.2.2", "fd00::2"],
      "keyword:kw": "10.3.3.3",
      "alias.test": "real.test",
    },
    servers: [server(s)],
  });
  assertEquals(await r.lookup("exact.test", "ip"), ["10.1.1.1"]);
  assertEquals(await r.lookup("a.b.wild.test", "ip"), ["10.2.2.2", "fd00::2"]);
  assertEquals(await r.lookup("wild.test", "ipv6"), ["fd00::2"]);
  assertEquals(await r.lookup("has-kw-in.test", "ipv4"), ["10.3.3.3"]);
  assertEquals(s.queries.length, 0);
  // A name standing for another is resolved by the servers.
  assertEquals(await r.lookup("alias.test", "ipv4"), ["192.0.2.9"]);
  assertEquals(s.count("real.test", A), 1);
  // Recorded, but not in the family asked: no address, and no server asked.
  assertEquals((await failure(r.lookup("exact.test", "ipv6"))).failure, "empty");
  assertEquals(s.count("exact.test"), 0);
});

Deno.test("dns: both families asked together, IPv4 first; an IP literal is itself", async () => {
  await using s = new TestDnsServer({ "dual.test": { A: ["192.0.2.1"], AAAA: ["2001:db8::1"] } });
  const r = resolver({ servers: [server(s)] });
  assertEquals(await r.lookup("dual.test", "ip"), ["192.0.2.1", "2001:db8::1"]);
  assertEquals(await r.lookup("dual.test.", "ipv6"), ["2001:db8::1"]);
  assertEquals(await r.lookup("192.0.2.7", "ip"), ["192.0.2.7"]);
});

Deno.test("dns: servers in order; the next only after a timeout, not after NXDOMAIN", async () => {
  await using silent = new TestDnsServer({ "x.test": { drop: true }, "gone.test": { drop: true } });
  await using first = new TestDnsServer({ "x.test": { A: ["192.0.2.10"] } });
  await using second = new TestDnsServer({
    "x.test": { A: ["192.0.2.20"] },
    "gone.test": { A: ["192.0.2.30"] },
  });
  // The first server answers: the second is never asked.
  const r = resolver({ servers: [server(first), server(second)] }, { timeoutMs: 2000 });
  assertEquals(await r.lookup("x.test", "ipv4"), ["192.0.2.10"]);
  assertEquals(second.queries.length, 0);
  // NXDOMAIN from the first ends the lookup, as in 4.34.
  const e = await failure(r.lookup("gone.test", "ipv4"));
  assertEquals(e.failure, "rcode");
  assert(e.message.includes("NXDOMAIN"), e.message);
  assertEquals(second.count("gone.test"), 0);
  // A server that never answers times out, then the next one is asked.
  const t = resolver({ servers: [server(silent), server(second)] }, { timeoutMs: 150 });
  assertEquals(await t.lookup("gone.test", "ipv4"), ["192.0.2.30"]);
  assertEquals(silent.count("gone.test", A), 1);
});

Deno.test("dns: a timeout everywhere is a timeout failure naming the servers", async () => {
  await using silent = new TestDnsServer({ "x.test": { drop: true } });
  const r = resolver({ servers: [server(silent)] }, { timeoutMs: 100 });
  const e = await failure(r.lookup("x.test", "ip"));
  assertEquals(e.failure, "timeout");
  assert(e.message.includes(`udp:127.0.0.1:${silent.port}`), e.message);
  assertEquals(silent.count("x.test"), 2); // A and AAAA
});

Deno.test("dns: `domains` send a name to its server first", async () => {
  await using general = new TestDnsServer({
    "a.corp.test": { A: ["192.0.2.1"] },
    "www.example.test": { A: ["192.0.2.2"] },
  });
  await using corp = new TestDnsServer({
    "a.corp.test": { A: ["10.0.0.1"] },
    "www.example.test": { A: ["10.0.0.2"] },
  });
  const r = resolver({
    servers: [server(general), server(corp, { domains: ["domain:corp.test"] })],
  });
  assertEquals(await r.lookup("a.corp.test", "ipv4"), ["10.0.0.1"]);
  assertEquals(await r.lookup("www.example.test", "ipv4"), ["192.0.2.2"]);
  assertEquals([general.count("a.corp.test"), corp.count("www.example.test")], [0, 0]);
});

Deno.test("dns: answers outside expectIps send the name on to the next server", async () => {
  await using poisoned = new TestDnsServer({ "site.test": { A: ["127.0.0.2"] } });
  await using honest = new TestDnsServer({ "site.test": { A: ["203.0.113.5"] } });
  const r = resolver({
    servers: [server(poisoned, { expectIps: ["203.0.113.0/24"] }), server(honest)],
  });
  assertEquals(await r.lookup("site.test", "ipv4"), ["203.0.113.5"]);
  assertEquals(poisoned.count("site.test"), 1);
});

Deno.test("dns: the client subnet goes out as 4.34 sends it, a server's own first", async () => {
  await using s1 = new TestDnsServer({ "a.test": { A: ["192.0.2.1"] } });
  await using s2 = new TestDnsServer({ "b.test": { A: ["192.0.2.2"] } });
  const r = resolver({
    clientIp: "198.51.100.77",
    servers: [server(s1), server(s2, { clientIp: "2001:db8:1234::1", domains: ["full:b.test"] })],
  });
  await r.lookup("a.test", "ipv4");
  await r.lookup("b.test", "ipv4");
  assertEquals(Array.from(s1.queries[0].subnet!), [0, 1, 24, 0, 198, 51, 100]);
  assertEquals(Array.from(s2.queries[0].subnet!), [
    0,
    2,
    96,
    0,
    0x20,
    1,
    0xd,
    0xb8,
    0x12,
    0x34,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  await using plain = new TestDnsServer({ "c.test": { A: ["192.0.2.3"] } });
  await resolver({ servers: [server(plain)] }).lookup("c.test", "ipv4");
  assertEquals(plain.queries[0].subnet, undefined);
});

Deno.test("dns cache: answers kept for their TTL (at most 600 s), on the injected clock", async () => {
  let now = 1_000_000;
  await using s = new TestDnsServer({
    "ttl.test": { A: ["192.0.2.1"], ttl: 30 },
    "zero.test": { A: ["192.0.2.2"], ttl: 0 },
    "long.test": { A: ["192.0.2.3"], ttl: 86400 },
  });
  const r = resolver({ servers: [server(s)] }, { now: () => now });
  await r.lookup("ttl.test", "ipv4");
  await r.lookup("ttl.test", "ipv4");
  assertEquals(s.count("ttl.test"), 1);
  now += 29_999;
  await r.lookup("ttl.test", "ipv4");
  assertEquals(s.count("ttl.test"), 1);
  now += 1;
  s.zone["ttl.test"] = { A: ["192.0.2.99"], ttl: 30 };
  assertEquals(await r.lookup("ttl.test", "ipv4"), ["192.0.2.99"]);
  assertEquals(s.count("ttl.test"), 2);
  // TTL 0: not cached.
  await r.lookup("zero.test", "ipv4");
  await r.lookup("zero.test", "ipv4");
  assertEquals(s.count("zero.test"), 2);
  // A day's TTL is kept for 600 s, as 4.34 keeps answers at most.
  await r.lookup("long.test", "ipv4");
  now += 599_999;
  await r.lookup("long.test", "ipv4");
  assertEquals(s.count("long.test"), 1);
  now += 1;
  await r.lookup("long.test", "ipv4");
  assertEquals(s.count("long.test"), 2);
});

Deno.test("dns cache: negative answers kept by their SOA, per record type and server", async () => {
  let now = 0;
  await using s = new TestDnsServer({
    "v4only.test": { A: ["192.0.2.1"], soa: [3600, 60] },
    "nodata.test": { soa: [3600, 60] },
    "nosoa.test": {},
  });
  const r = resolver({ servers: [server(s)] }, { now: () => now });
  // AAAA has no record: the lookup still gives the A one.
  assertEquals(await r.lookup("v4only.test", "ip"), ["192.0.2.1"]);
  assertEquals((await failure(r.lookup("nodata.test", "ip"))).failure, "empty");
  await failure(r.lookup("nodata.test", "ip"));
  assertEquals(s.count("nodata.test"), 2); // A and AAAA once each
  now += 60_000;
  await failure(r.lookup("nodata.test", "ipv6"));
  assertEquals(s.count("nodata.test", AAAA), 2);
  await failure(r.lookup("nosoa.test", "ipv4"));
  await failure(r.lookup("nosoa.test", "ipv4"));
  assertEquals(s.count("nosoa.test"), 2);
});

Deno.test("dns: lookups of one name at the same time share one query", async () => {
  await using s = new TestDnsServer({ "busy.test": { A: ["192.0.2.1"], ttl: 0 } });
  const r = resolver({ servers: [server(s)] });
  const all = await Promise.all(Array.from({ length: 5 }, () => r.lookup("busy.test", "ipv4")));
  assertEquals(all.flat(), Array(5).fill("192.0.2.1"));
  assertEquals(s.count("busy.test"), 1);
});

Deno.test("dns: stray and spoofed datagrams are ignored; the real answer is used", async () => {
  // A server that, for each query, first answers with a wrong id, then from another port, then
  // with bytes that are not DNS, and only then properly.
  const zone = { "x.test": { A: ["192.0.2.1"] } };
  const spoof = { "x.test": { A: ["192.0.2.66"] } };
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const other = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    try {
      for (;;) {
        const [q, from] = await sock.receive();
        const wrongId = answer(q, spoof)!;
        wrongId[1] ^= 1;
        await sock.send(wrongId, from);
        await other.send(answer(q, spoof)!, from);
        await sock.send(new Uint8Array([1, 2, 3]), from);
        await sock.send(answer(q, zone)!, from);
      }
    } catch {
      // Closed.
    }
  })();
  try {
    const port = (sock.addr as Deno.NetAddr).port;
    const r = resolver({ servers: [{ address: "127.0.0.1", port }] }, { timeoutMs: 2000 });
    assertEquals(await r.lookup("x.test", "ipv4"), ["192.0.2.1"]);
  } finally {
    sock.close();
    other.close();
    await serving;
  }
});

Deno.test('dns: "localhost" asks the system, first for local names', async () => {
  await using s = new TestDnsServer({ "localhost": { A: ["192.0.2.1"] } });
  const r = resolver({ servers: [server(s), "localhost"] });
  // Dotless and .localhost names go to the system first (Deno answers localhost itself).
  const ips = await r.lookup("localhost", "ipv4");
  assertEquals(ips, ["127.0.0.1"]);
  assertEquals(s.count("localhost"), 0);
});

Deno.test("dns: without servers, the system resolves what hosts does not", async () => {
  const r = resolver({ hosts: { "mine.test": "10.9.9.9" } });
  assertEquals(await r.lookup("mine.test", "ipv4"), ["10.9.9.9"]);
  assertEquals(await r.lookup("localhost", "ipv4"), ["127.0.0.1"]);
});

Deno.test("dns over https: POSTs the query, as RFC 8484", async () => {
  const zone: Record<string, ZoneEntry> = {
    "doh.test": { A: ["192.0.2.53"], AAAA: ["2001:db8::53"] },
  };
  const seen: string[] = [];
  await using origin = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      seen.push(`${req.method} ${new URL(req.url).pathname} ${req.headers.get("content-type")}`);
      const reply = answer(new Uint8Array(await req.arrayBuffer()), zone);
      return new Response(reply as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": "application/dns-message" },
      });
    },
  );
  // The test's fetch sends the https:// URL to the plain-HTTP origin.
  const port = origin.addr.port;
  const fetchToOrigin = (url: string, init: RequestInit) =>
    fetch(url.replace(/^https:\/\/[^/]+/, `http://127.0.0.1:${port}`), init);
  const r = resolver({ servers: ["https://dns.example/dns-query"] }, { fetch: fetchToOrigin });
  assertEquals(await r.lookup("doh.test", "ip"), ["192.0.2.53", "2001:db8::53"]);
  assertEquals(seen, Array(2).fill("POST /dns-query application/dns-message"));
});

Deno.test("routing: IPIfNonMatch resolves with the built-in DNS", async () => {
  const { config } = loadConfigObject({
    dns: { hosts: { "inside.test": "10.20.30.40" } },
    outbounds: [{ tag: "default", protocol: "freedom" }, { tag: "lan", protocol: "blackhole" }],
    routing: {
      domainStrategy: "IPIfNonMatch",
      rules: [{ type: "field", ip: ["10.20.0.0/16"], outboundTag: "lan" }],
    },
  });
  const fake = (tag: string) => ({ tag } as Outbound);
  const d = new RoutingDispatcher(
    createRouter(config.routing),
    undefined,
    undefined,
    new DnsResolver(config.dns!, silentLogger),
  );
  d.setOutbounds([fake("default"), fake("lan")]);
  const session = { id: 1, inboundTag: "in", source: { address: "127.0.0.1", port: 1 } };
  const to = (address: string) => ({ network: "tcp" as const, address, port: 80 });
  assertEquals((await d.route(session, to("inside.test"))).tag, "lan");
  assertEquals((await d.route(session, to("localhost"))).tag, "default");
});
