/**
 * Routing on geo data: IpSet and DomainSet against naive matchers (property), and rules naming
 * geoip/geosite/ext references resolved from .dat files the test writes.
 */
import fc from "fast-check";
import { fuzzParams } from "./helpers/fuzz.ts";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { assetDir, geoIpDat, geoSiteDat } from "./helpers/geo_dat.ts";
import { DomainSet, IpSet } from "../lib/routing/mod.ts";
import { createRouter } from "../lib/routing/mod.ts";
import { type Cidr, cidrContains, ipBytes, parseCidr } from "../lib/core/cidr.ts";
import {
  ConfigError,
  fileAssets,
  formatIssue,
  loadConfigObject,
  validateConfig,
} from "../lib/config/mod.ts";
import type { Session } from "../lib/core/session.ts";
import type { Destination } from "../lib/core/destination.ts";
import type { DomainPattern } from "../lib/geo/mod.ts";

const cidr = (s: string): Cidr => parseCidr(s)!;
const asBytes = (s: string) => {
  const c = cidr(s);
  return { ip: c.bytes, prefix: c.prefix };
};

const v4Block = fc.tuple(
  fc.uint8Array({ minLength: 4, maxLength: 4 }),
  fc.integer({ min: 0, max: 32 }),
)
  .map(([bytes, prefix]): Cidr => ({ bytes, prefix }));
const v6Block = fc.tuple(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.integer({ min: 0, max: 128 }),
).map(([bytes, prefix]): Cidr => ({ bytes, prefix }));
// Addresses near the blocks' edges are the interesting ones: derive some from the blocks.
const v4Ip = fc.uint8Array({ minLength: 4, maxLength: 4 });
const v6Ip = fc.uint8Array({ minLength: 16, maxLength: 16 });

Deno.test("IpSet: membership equals a linear scan of the blocks (property, IPv4 and IPv6)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(v4Block, v6Block), { maxLength: 40 }),
      fc.array(fc.oneof(v4Ip, v6Ip), { maxLength: 40 }),
      (blocks, ips) => {
        const set = new IpSet(blocks);
        // Each block's own first and last address, and one past them.
        const edges = blocks.flatMap((b) => {
          const lo = b.bytes.slice(), hi = b.bytes.slice();
          for (let bit = b.prefix; bit < b.bytes.length * 8; bit++) {
            lo[bit >> 3] &= ~(0x80 >> (bit & 7));
            hi[bit >> 3] |= 0x80 >> (bit & 7);
          }
          const next = hi.slice();
          for (let i = next.length - 1; i >= 0 && ++next[i] === 256; i--) next[i] = 0;
          return [lo, hi, next];
        });
        for (const ip of [...ips, ...edges]) {
          assertEquals(set.has(ip), blocks.some((b) => cidrContains(b, ip)), `${ip}`);
        }
      },
    ),
    fuzzParams({ numRuns: 300 }),
  );
});

Deno.test("IpSet: overlapping and adjacent blocks merge; IPv4 never matches IPv6", () => {
  const set = new IpSet(["10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "::/0"].map(cidr));
  assertEquals(set.size, 2);
  assert(set.has(ipBytes("10.255.255.255")!));
  assert(!set.has(ipBytes("11.0.0.0")!));
  assert(set.has(ipBytes("2001:db8::1")!));
  assert(!new IpSet([cidr("::/0")]).has(ipBytes("1.2.3.4")!));
  assert(new IpSet([cidr("0.0.0.0/0")]).has(ipBytes("255.255.255.255")!));
  assert(!new IpSet([]).has(ipBytes("1.2.3.4")!));
});

function naive(patterns: readonly DomainPattern[], domain: string): boolean {
  const d = domain.toLowerCase();
  return patterns.some((p) => {
    const v = p.value.toLowerCase();
    switch (p.kind) {
      case "full":
        return d === v;
      case "domain":
        return d === v || d.endsWith("." + v);
      case "plain":
        return d.includes(v);
      case "regex":
        return new RegExp(p.value).test(domain);
    }
  });
}

Deno.test("DomainSet: matching equals a linear scan of the patterns (property)", () => {
  const label = fc.stringMatching(/^[a-zA-Z0-9-]{1,5}$/);
  const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
  const pattern = fc.oneof(
    fc.record({ kind: fc.constantFrom("full", "domain", "plain"), value: name }),
    fc.record({ kind: fc.constant("regex"), value: label.map((l) => `^${l}`) }),
  ) as fc.Arbitrary<DomainPattern>;
  fc.assert(
    fc.property(
      fc.array(pattern, { maxLength: 30 }),
      fc.array(name, { maxLength: 30 }),
      (ps, names) => {
        const set = new DomainSet(ps);
        // The patterns' own values, with and without a subdomain, are near misses or hits.
        const probes = [...names, ...ps.flatMap((p) => [p.value, `x.${p.value}`, `${p.value}x`])];
        for (const n of probes) assertEquals(set.has(n), naive(ps, n), n);
      },
    ),
    fuzzParams({ numRuns: 300 }),
  );
});

const session: Session = { id: 1, inboundTag: "in", source: { address: "10.9.9.9", port: 5 } };
const tcp = (address: string): Destination => ({ network: "tcp", address, port: 443 });

async function geoFiles() {
  return await assetDir({
    "geoip.dat": geoIpDat([
      { code: "CN", cidrs: ["1.0.1.0/24", "2001:250::/35"].map(asBytes) },
      { code: "PRIVATE", cidrs: ["10.0.0.0/8"].map(asBytes) }, // replaces the built-in list
    ]),
    "geosite.dat": geoSiteDat([
      {
        code: "GOOGLE",
        domains: [
          { type: "domain", value: "google.com" },
          { type: "full", value: "ads.google.com", attrs: ["ads"] },
        ],
      },
      { code: "CATEGORY-ADS", domains: [{ type: "plain", value: "doubleclick" }] },
    ]),
    "my.dat": geoIpDat([{ code: "OFFICE", cidrs: ["192.0.2.0/24"].map(asBytes) }]),
    "sites.dat": geoSiteDat([{
      code: "WORK",
      domains: [{ type: "full", value: "intra.example" }],
    }]),
  });
}

function rules(...list: object[]) {
  return {
    outbounds: ["a", "b", "c", "d", "e", "f"].map((tag) => ({ tag, protocol: "freedom" })),
    routing: { rules: list.map((r) => ({ type: "field", ...r })) },
  };
}

Deno.test("routing: geoip:, geoip:!, geosite:, @attr, ext: and source geoip from .dat files", async () => {
  await using assets = await geoFiles();
  const { config, warnings } = loadConfigObject(
    rules(
      { domain: ["geosite:google@ads"], outboundTag: "a" },
      { domain: ["geosite:GOOGLE", "ext:sites.dat:work"], outboundTag: "b" },
      { ip: ["geoip:cn", "ext-ip:my.dat:office"], outboundTag: "c" },
      { source: ["geoip:private"], ip: ["geoip:!cn"], port: 8443, outboundTag: "d" },
      { domain: ["geosite:category-ads"], outboundTag: "e" },
    ),
    undefined,
    { assets: fileAssets([assets.dir]) },
  );
  assertEquals(warnings, []);
  const r = createRouter(config.routing, config.geo);
  assertEquals(r.route(session, tcp("ads.google.com")), "a");
  assertEquals(r.route(session, tcp("mail.google.com")), "b");
  assertEquals(r.route(session, tcp("intra.example")), "b");
  assertEquals(r.route(session, tcp("1.0.1.7")), "c");
  assertEquals(r.route(session, tcp("2001:250::1")), "c");
  assertEquals(r.route(session, tcp("192.0.2.55")), "c");
  assertEquals(r.route(session, { network: "tcp", address: "8.8.8.8", port: 8443 }), "d");
  assertEquals(r.route(session, { network: "tcp", address: "1.0.1.1", port: 8443 }), "c");
  assertEquals(r.route(session, tcp("ad.doubleclick.net")), "e");
  assertEquals(r.route(session, tcp("8.8.8.8")), null);
  // The file's PRIVATE tag (10/8 only) is used, not the built-in list: 192.168/16 is not in it.
  const other = { ...session, source: { address: "192.168.1.1", port: 5 } };
  assertEquals(r.route(other, { network: "tcp", address: "8.8.8.8", port: 8443 }), null);
  // Under IPIfNonMatch, a domain's resolved addresses meet the ip rules.
  assertEquals(r.route(session, tcp("cn.example"), ["1.0.1.9"]), "c");
});

Deno.test("routing: geoip:private is built in when no geoip.dat is found", () => {
  const r = validateConfig(rules({ ip: ["geoip:private"], outboundTag: "a" }));
  assert(r.config, JSON.stringify(r.issues));
  const router = createRouter(r.config.routing, r.config.geo);
  for (const ip of ["10.0.0.1", "192.168.1.1", "127.0.0.1", "::1", "fe80::1"]) {
    assertEquals(router.route(session, tcp(ip)), "a", ip);
  }
  assertEquals(router.route(session, tcp("8.8.8.8")), null);
});

Deno.test("routing: a missing tag, list or file is an error naming the path and the file searched", async () => {
  await using assets = await geoFiles();
  const r = validateConfig(
    rules(
      { ip: ["geoip:xx"], domain: ["geosite:nope"], outboundTag: "a" },
      { ip: ["ext:missing.dat:a"], outboundTag: "b" },
      { domain: ["geosite:google@nothing"], outboundTag: "c" },
    ),
    { assets: fileAssets([assets.dir, "/nonexistent"]) },
  );
  const text = r.issues.map(formatIssue).join("\n");
  assertEquals(r.config, undefined);
  assertStringIncludes(
    text,
    `routing.rules[0].ip[0]: "geoip:xx": no tag "xx" in ${assets.dir}/geoip.dat`,
  );
  assertStringIncludes(
    text,
    `routing.rules[0].domain[0]: "geosite:nope": no list "nope" in ${assets.dir}/geosite.dat`,
  );
  assertStringIncludes(
    text,
    `routing.rules[1].ip[0]: "ext:missing.dat:a": missing.dat not found (searched ${assets.dir}/missing.dat, /nonexistent/missing.dat)`,
  );
  assertStringIncludes(
    text,
    'routing.rules[2].domain[0]: "geosite:google@nothing": no domain of "google" has @nothing: matches nothing',
  );
});

Deno.test("routing: a corrupt .dat is an error naming the file", async () => {
  await using assets = await assetDir({ "geoip.dat": new Uint8Array([0x0a, 0x7f, 1]) });
  const r = validateConfig(rules({ ip: ["geoip:cn"], outboundTag: "a" }), {
    assets: fileAssets([assets.dir]),
  });
  assertStringIncludes(
    r.issues.map(formatIssue).join("\n"),
    `routing.rules[0].ip[0]: "geoip:cn": ${assets.dir}/geoip.dat: not a V2Ray GeoIPList`,
  );
});

Deno.test("routing: protocol and attrs rules match only sessions that carry them (sniffed)", () => {
  const r = validateConfig(rules(
    { protocol: ["bittorrent"], outboundTag: "a" },
    { attrs: "attrs[':method'] == 'GET'", domain: ["example.com"], outboundTag: "b" },
  ));
  assert(r.config, JSON.stringify(r.issues));
  const router = createRouter(r.config.routing, r.config.geo);
  // Unsniffed sessions have neither, so neither rule matches them.
  assertEquals(router.route(session, tcp("example.com")), null);
  assertEquals(router.route(session, tcp("1.2.3.4")), null);
  assertEquals(router.route({ ...session, protocol: "bittorrent" }, tcp("1.2.3.4")), "a");
  assertEquals(
    router.route({ ...session, attributes: new Map([[":method", "GET"]]) }, tcp("example.com")),
    "b",
  );
});

Deno.test("dns: geosite and ext lists in servers' domains, geoip in expectIps, read from .dat files", async () => {
  await using assets = await geoFiles();
  const { config } = loadConfigObject(
    {
      ...rules(),
      dns: {
        servers: [
          {
            address: "192.0.2.53",
            domains: ["geosite:google@ads", "ext:sites.dat:work", "full:x.example"],
            expectIps: ["geoip:cn", "198.51.100.0/24"],
          },
          "localhost",
        ],
      },
    },
    undefined,
    { assets: fileAssets([assets.dir]) },
  );
  const server = config.dns!.servers[0];
  assertEquals(server.domains, [
    { kind: "full", value: "ads.google.com" },
    { kind: "full", value: "intra.example" },
    { kind: "full", value: "x.example" },
  ]);
  assertEquals(server.expectIps.length, 3); // geoip:cn's two blocks and the literal one
  // A list that is not in the file is an error naming the path, as in routing.
  assertThrows(
    () =>
      loadConfigObject(
        { ...rules(), dns: { servers: [{ address: "1.1.1.1", domains: ["geosite:nope"] }] } },
        undefined,
        { assets: fileAssets([assets.dir]) },
      ),
    ConfigError,
    "dns.servers[0].domains[0]",
  );
});
