import { assertEquals } from "./assert.ts";
import { createRouter } from "../lib/routing/mod.ts";
import { validateConfig } from "../lib/config/mod.ts";
import type { Session } from "../lib/core/session.ts";
import type { Destination } from "../lib/core/destination.ts";

function router(rules: unknown[]) {
  const r = validateConfig({
    outbounds: ["a", "b", "c", "d"].map((tag) => ({ tag, protocol: "freedom" })),
    routing: { rules },
  });
  if (!r.config) throw new Error(JSON.stringify(r.issues));
  return createRouter(r.config.routing);
}

const session = (over: Partial<Session> = {}): Session => ({
  id: 1,
  inboundTag: "in",
  source: { address: "10.1.2.3", port: 5000 },
  user: { email: "alice@x", level: 0 },
  ...over,
});
const tcp = (address: string, port = 443): Destination => ({ network: "tcp", address, port });

Deno.test("routing: domain forms — plain substring, domain:, full:, regexp:, keyword:", () => {
  const r = router([
    { type: "field", domain: ["full:exact.com"], outboundTag: "a" },
    { type: "field", domain: ["domain:example.org"], outboundTag: "b" },
    { type: "field", domain: ["regexp:^api\\d+\\."], outboundTag: "c" },
    { type: "field", domain: ["keyword:tube", "ads"], outboundTag: "d" },
  ]);
  assertEquals(r.route(session(), tcp("exact.com")), "a");
  assertEquals(r.route(session(), tcp("www.exact.com")), null);
  assertEquals(r.route(session(), tcp("example.org")), "b");
  assertEquals(r.route(session(), tcp("a.b.example.org")), "b");
  assertEquals(r.route(session(), tcp("notexample.org")), null);
  assertEquals(r.route(session(), tcp("api7.service.net")), "c");
  assertEquals(r.route(session(), tcp("youtube.com")), "d");
  assertEquals(r.route(session(), tcp("myads.net")), "d");
  // Domain rules never match an IP destination.
  assertEquals(r.route(session(), tcp("1.2.3.4")), null);
});

Deno.test("routing: ip CIDR v4/v6, ports, network, source, user, inboundTag; first match wins", () => {
  const r = router([
    { type: "field", inboundTag: ["special"], outboundTag: "d" },
    { type: "field", ip: ["10.0.0.0/8", "2001:db8::/32"], outboundTag: "a" },
    { type: "field", port: "53,8000-8080", network: "udp", outboundTag: "b" },
    { type: "field", source: ["192.168.0.0/16"], user: ["bob@x"], outboundTag: "c" },
  ]);
  assertEquals(r.route(session({ inboundTag: "special" }), tcp("10.0.0.1")), "d");
  assertEquals(r.route(session(), tcp("10.200.0.1")), "a");
  assertEquals(r.route(session(), tcp("11.0.0.1")), null);
  assertEquals(r.route(session(), tcp("2001:db8:1::5")), "a");
  assertEquals(r.route(session(), tcp("2001:db9::5")), null);
  assertEquals(r.route(session(), { network: "udp", address: "8.8.8.8", port: 53 }), "b");
  assertEquals(r.route(session(), { network: "udp", address: "8.8.8.8", port: 8080 }), "b");
  assertEquals(r.route(session(), { network: "tcp", address: "8.8.8.8", port: 53 }), null);
  const bob = { source: { address: "192.168.5.5", port: 1 }, user: { email: "bob@x", level: 0 } };
  assertEquals(r.route(session(bob), tcp("8.8.8.8")), "c");
  assertEquals(
    r.route(session({ ...bob, user: { email: "eve@x", level: 0 } }), tcp("8.8.8.8")),
    null,
  );
});

Deno.test("routing: ip rules see resolved addresses of a domain (IPIfNonMatch)", () => {
  const r = router([{ type: "field", ip: ["127.0.0.0/8"], outboundTag: "a" }]);
  assertEquals(r.route(session(), tcp("localhost")), null);
  assertEquals(r.route(session(), tcp("localhost"), ["127.0.0.1"]), "a");
});

Deno.test("routing: an empty list is no condition, and a bare '/' prefix is the whole address", () => {
  const r = router([
    { type: "field", ip: [], port: 53, outboundTag: "a" },
    { type: "field", ip: ["10.9.9.9/"], outboundTag: "b" },
  ]);
  assertEquals(r.route(session(), tcp("1.1.1.1", 53)), "a");
  assertEquals(r.route(session(), tcp("10.9.9.9")), "b");
  assertEquals(r.route(session(), tcp("10.9.9.8")), null);
});

Deno.test("routing: an IPv4-mapped IPv6 source or destination matches IPv4 blocks, as V2Ray", () => {
  const r = router([
    { type: "field", source: ["127.0.0.1/32"], outboundTag: "a" },
    { type: "field", ip: ["10.0.0.0/8"], outboundTag: "b" },
    { type: "field", ip: ["::/0"], outboundTag: "c" },
  ]);
  // What a listener on "::" reports for an IPv4 client.
  const mapped = session({ source: { address: "::ffff:127.0.0.1", port: 1 } });
  assertEquals(r.route(mapped, tcp("1.1.1.1")), "a");
  assertEquals(
    r.route(session({ source: { address: "::ffff:7f00:1", port: 1 } }), tcp("1.1.1.1")),
    "a",
  );
  assertEquals(r.route(session(), tcp("::ffff:10.1.2.3")), "b");
  // Only ::ffff:0:0/96 is IPv4; other IPv6 addresses with an IPv4 tail stay IPv6.
  assertEquals(r.route(session(), tcp("::10.1.2.3")), "c");
  assertEquals(r.route(session(), tcp("64:ff9b::10.1.2.3")), "c");
});
