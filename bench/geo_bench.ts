/**
 * Geo matching at scale: `deno bench -A bench/geo_bench.ts`. One lookup against a 10,000-entry
 * list: IpSet (merged sorted ranges) and DomainSet (suffix hash set) against a linear scan of
 * the same list, with a mix of hits and misses; and decoding a 10,000-entry tag from a .dat.
 */
import { type Cidr, cidrContains } from "../lib/core/cidr.ts";
import { DomainSet, IpSet } from "../lib/routing/mod.ts";
import {
  type DomainPattern,
  encodeGeoIp,
  encodeGeoSite,
  readGeoIp,
  readGeoSite,
} from "../lib/geo/mod.ts";

const N = 10_000;

// A small deterministic generator (xorshift32), so every run looks up the same things.
let seed = 0x2545f491;
function next(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function v4(): Uint8Array {
  const n = next();
  return new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

function v6(): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i += 4) b.set(v4(), i);
  return b;
}

const v4Blocks: Cidr[] = Array.from(
  { length: N },
  () => ({ bytes: v4(), prefix: 16 + (next() % 17) }),
);
const v6Blocks: Cidr[] = Array.from(
  { length: N },
  () => ({ bytes: v6(), prefix: 32 + (next() % 33) }),
);
// Half the probes are inside a block (its own address), half are random (almost all misses).
const v4Probes = Array.from(
  { length: 1024 },
  (_, i) => (i % 2 ? v4Blocks[next() % N].bytes : v4()),
);
const v6Probes = Array.from(
  { length: 1024 },
  (_, i) => (i % 2 ? v6Blocks[next() % N].bytes : v6()),
);

const v4Set = new IpSet(v4Blocks);
const v6Set = new IpSet(v6Blocks);

const word = () => next().toString(36);
const domains: DomainPattern[] = Array.from({ length: N }, () => ({
  kind: next() % 4 === 0 ? "full" : "domain",
  value: `${word()}.${["com", "net", "org", "cn"][next() % 4]}`,
}));
const domainProbes = Array.from({ length: 1024 }, (_, i) => {
  const d = domains[next() % N].value;
  return i % 2 ? `www.${d}` : `${word()}.${word()}.example`;
});
const domainSet = new DomainSet(domains);

function linearDomain(ps: readonly DomainPattern[], name: string): boolean {
  const d = name.toLowerCase();
  return ps.some((p) =>
    p.kind === "full" ? d === p.value : d === p.value || d.endsWith("." + p.value)
  );
}

let i = 0;
let sink = 0;

Deno.bench({ name: "IpSet.has, IPv4, 10,000 blocks", group: "ipv4", baseline: true }, () => {
  if (v4Set.has(v4Probes[i++ & 1023])) sink++;
});
Deno.bench({ name: "linear scan, IPv4, 10,000 blocks", group: "ipv4" }, () => {
  const ip = v4Probes[i++ & 1023];
  if (v4Blocks.some((c) => cidrContains(c, ip))) sink++;
});
Deno.bench({ name: "IpSet.has, IPv6, 10,000 blocks", group: "ipv6", baseline: true }, () => {
  if (v6Set.has(v6Probes[i++ & 1023])) sink++;
});
Deno.bench({ name: "linear scan, IPv6, 10,000 blocks", group: "ipv6" }, () => {
  const ip = v6Probes[i++ & 1023];
  if (v6Blocks.some((c) => cidrContains(c, ip))) sink++;
});
Deno.bench({
  name: "DomainSet.has, 10,000 domain:/full: patterns",
  group: "domain",
  baseline: true,
}, () => {
  if (domainSet.has(domainProbes[i++ & 1023])) sink++;
});
Deno.bench({ name: "linear scan, 10,000 domain:/full: patterns", group: "domain" }, () => {
  if (linearDomain(domains, domainProbes[i++ & 1023])) sink++;
});

const ipDat = encodeGeoIp([{ code: "BIG", cidrs: v4Blocks }, { code: "OTHER", cidrs: v6Blocks }]);
const siteDat = encodeGeoSite([{
  code: "BIG",
  domains: domains.map((d) => ({ ...d, attrs: [] })),
}]);
Deno.bench({ name: "readGeoIp: one 10,000-block tag of two", group: "load" }, () => {
  sink += readGeoIp(ipDat, ["big"]).size;
});
Deno.bench({ name: "readGeoSite: one 10,000-domain list", group: "load" }, () => {
  sink += readGeoSite(siteDat, ["big"]).size;
});
Deno.bench({ name: "new IpSet(10,000 IPv4 blocks)", group: "load" }, () => {
  sink += new IpSet(v4Blocks).size;
});
Deno.bench({ name: "new DomainSet(10,000 patterns)", group: "load" }, () => {
  if (new DomainSet(domains).empty) sink++;
});

globalThis.addEventListener("unload", () => {
  if (sink < 0) console.log(sink); // keeps the results alive
});
