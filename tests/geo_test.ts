/** lib/geo: .dat decoding against an independent protobuf runtime, references, private ranges. */
import fc from "fast-check";
// fast-check follows FUZZ_RUNS / FUZZ_SEED (deno task fuzz).
import "./helpers/fuzz.ts";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { geoIpCodes, geoIpDat, geoSiteDat, readSiteDat } from "./helpers/geo_dat.ts";
import {
  encodeGeoIp,
  encodeGeoSite,
  GeoDataError,
  parseDomainEntry,
  parseIpRef,
  parseSiteRef,
  PRIVATE_CIDRS,
  readGeoIp,
  readGeoSite,
  withAttributes,
} from "../lib/geo/mod.ts";
import { type Cidr, cidrContains, ipBytes, parseCidr } from "../lib/core/cidr.ts";

const cidr = (s: string): Cidr => parseCidr(s)!;
const asBytes = (c: Cidr) => ({ ip: c.bytes, prefix: c.prefix });

Deno.test("geo: a geoip.dat written by the reflection runtime reads back, tags case-insensitively", () => {
  const dat = geoIpDat([
    { code: "CN", cidrs: [asBytes(cidr("1.0.1.0/24")), asBytes(cidr("2001:250::/35"))] },
    { code: "PRIVATE", cidrs: [asBytes(cidr("10.0.0.0/8"))], reverseMatch: true },
    { code: "cn", cidrs: [asBytes(cidr("9.9.9.9/32"))] }, // a second "cn": V2Ray takes the first
  ]);
  const got = readGeoIp(dat, ["cn", "Private", "XX"]);
  assertEquals([...got.keys()].sort(), ["CN", "PRIVATE"]);
  assertEquals(got.get("CN"), [cidr("1.0.1.0/24"), cidr("2001:250::/35")]);
  assertEquals(got.get("PRIVATE"), [cidr("10.0.0.0/8")]);
});

Deno.test("geo: a geosite.dat written by the reflection runtime reads back with attributes", () => {
  const dat = geoSiteDat([{
    code: "GOOGLE",
    domains: [
      { type: "domain", value: "google.com" },
      { type: "full", value: "ads.google.com", attrs: ["Ads", ["weight", 3n]] },
      { type: "plain", value: "googlead" },
      { type: "regex", value: "^g[0-9]+\\.google\\.com$", attrs: ["ads"] },
    ],
  }, { code: "CN", domains: [{ type: "domain", value: "cn" }] }]);
  const got = readGeoSite(dat, ["google"]).get("GOOGLE")!;
  assertEquals(got, [
    { kind: "domain", value: "google.com", attrs: [] },
    { kind: "full", value: "ads.google.com", attrs: ["ads", "weight"] },
    { kind: "plain", value: "googlead", attrs: [] },
    { kind: "regex", value: "^g[0-9]+\\.google\\.com$", attrs: ["ads"] },
  ]);
  assertEquals(withAttributes(got, ["ads"]).map((d) => d.value), [
    "ads.google.com",
    "^g[0-9]+\\.google\\.com$",
  ]);
  assertEquals(withAttributes(got, ["ads", "weight"]).map((d) => d.value), ["ads.google.com"]);
  assertEquals(withAttributes(got, ["nope"]), []);
});

Deno.test("geo: our writer's files read back through the reflection runtime", () => {
  const ip = encodeGeoIp([{ code: "PRIVATE", cidrs: PRIVATE_CIDRS }, { code: "US", cidrs: [] }]);
  assertEquals(geoIpCodes(ip), ["PRIVATE", "US"]);
  const site = encodeGeoSite([{
    code: "ADS",
    domains: [{ kind: "full", value: "a.example", attrs: ["x", "y"] }],
  }]);
  assertEquals(readSiteDat(site), [{ code: "ADS", values: ["a.example"], attrs: [["x", "y"]] }]);
});

Deno.test("geo: only the tags asked for are decoded; a corrupt other tag does not matter", () => {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).bytes(
    geoIpDat([{ code: "CN", cidrs: [asBytes(cidr("1.0.1.0/24"))] }]).slice(2),
  );
  // Entry XX: its country code reads, its CIDR claims a 5-byte address and holds 2 bytes.
  const xx = new BinaryWriter().tag(1, WireType.LengthDelimited).string("XX")
    .tag(2, WireType.LengthDelimited).bytes(new Uint8Array([0x0a, 0x05, 1, 2])).finish();
  w.tag(1, WireType.LengthDelimited).bytes(xx);
  const dat = w.finish();
  assertEquals(readGeoIp(dat, ["cn"]).get("CN"), [cidr("1.0.1.0/24")]);
  assertThrows(() => readGeoIp(dat, ["xx"]), GeoDataError, 'geoip "XX"');
});

Deno.test("geo: malformed files are GeoDataError, never another exception (any truncation)", () => {
  const dat = geoSiteDat([{
    code: "A",
    domains: [{ type: "domain", value: "a.example", attrs: ["x"] }, { type: "full", value: "b" }],
  }]);
  for (let cut = 1; cut < dat.length; cut++) {
    try {
      readGeoSite(dat.slice(0, cut), ["a"]);
    } catch (e) {
      assert(e instanceof GeoDataError, `cut at ${cut}: ${e}`);
    }
  }
  assertThrows(() => readGeoIp(new Uint8Array([0x0a, 0xff]), ["a"]), GeoDataError);
  // A CIDR of 5 bytes or with prefix 33 is refused with the tag named.
  const odd = geoIpDat([{ code: "Z", cidrs: [{ ip: new Uint8Array(5), prefix: 8 }] }]);
  assertThrows(() => readGeoIp(odd, ["z"]), GeoDataError, 'geoip "Z" entry 0');
  const long = geoIpDat([{ code: "Z", cidrs: [{ ip: new Uint8Array(4), prefix: 33 }] }]);
  assertThrows(() => readGeoIp(long, ["z"]), GeoDataError);
  const domain9 = new BinaryWriter().tag(1, WireType.Varint).int32(9)
    .tag(2, WireType.LengthDelimited).string("x").finish();
  const site = new BinaryWriter().tag(1, WireType.LengthDelimited).string("S")
    .tag(2, WireType.LengthDelimited).bytes(domain9).finish();
  const badKind = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(site).finish();
  assertThrows(() => readGeoSite(badKind, ["s"]), GeoDataError, "unknown domain type 9");
});

Deno.test("geo: random lists survive writing and reading (property)", () => {
  const v4 = fc.tuple(
    fc.uint8Array({ minLength: 4, maxLength: 4 }),
    fc.integer({ min: 0, max: 32 }),
  );
  const v6 = fc.tuple(
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
    fc.integer({ min: 0, max: 128 }),
  );
  const code = fc.stringMatching(/^[A-Z0-9-]{1,8}$/);
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(code, fc.array(fc.oneof(v4, v6), { maxLength: 20 })), {
        selector: (e) => e[0],
        maxLength: 8,
      }),
      (entries) => {
        const dat = encodeGeoIp(
          entries.map(([c, cs]) => ({
            code: c,
            cidrs: cs.map(([bytes, prefix]) => ({ bytes, prefix })),
          })),
        );
        const got = readGeoIp(dat, entries.map((e) => e[0]));
        for (const [c, cs] of entries) {
          assertEquals(got.get(c), cs.map(([bytes, prefix]) => ({ bytes, prefix })));
        }
      },
    ),
  );
  const domain = fc.record({
    kind: fc.constantFrom("plain", "regex", "domain", "full"),
    value: fc.string({ maxLength: 20 }),
    attrs: fc.array(fc.stringMatching(/^[a-z!-]{1,6}$/), { maxLength: 3 }),
  });
  fc.assert(
    fc.property(fc.array(domain, { maxLength: 30 }), (domains) => {
      const dat = encodeGeoSite([{ code: "L", domains }]);
      assertEquals(readGeoSite(dat, ["l"]).get("L"), domains.map((d) => ({ ...d })));
      assertEquals(readSiteDat(dat)[0].values, domains.map((d) => d.value));
    }),
  );
});

Deno.test("geo: references parse as V2Ray spells them", () => {
  assertEquals(parseIpRef("geoip:cn"), {
    ref: { kind: "ip", file: "geoip.dat", tag: "cn", negate: false },
  });
  assertEquals(parseIpRef("geoip:!cn"), {
    ref: { kind: "ip", file: "geoip.dat", tag: "cn", negate: true },
  });
  assertEquals(parseIpRef("ext:my.dat:tag"), {
    ref: { kind: "ip", file: "my.dat", tag: "tag", negate: false },
  });
  assertEquals(parseIpRef("ext-ip:my.dat:!tag"), {
    ref: { kind: "ip", file: "my.dat", tag: "tag", negate: true },
  });
  assertEquals(parseIpRef("10.0.0.0/8"), undefined);
  assertEquals(parseIpRef("geoip:"), { problem: "empty country code" });
  assertEquals(parseIpRef("geoip:!"), { problem: "empty country code" });
  assertEquals(parseIpRef("ext:a:b:c"), { problem: 'not "ext:FILE:TAG"' });
  assertEquals(parseIpRef("ext::b"), { problem: "empty file name or tag" });
  assertEquals(parseSiteRef("geosite:google@ads@ CN "), {
    ref: { kind: "site", file: "geosite.dat", tag: "google", attrs: ["ads", "cn"] },
  });
  assertEquals(parseSiteRef("geosite: cn @"), {
    ref: { kind: "site", file: "geosite.dat", tag: "cn", attrs: [] },
  });
  assertEquals(parseSiteRef("ext-domain:f.dat:list@a"), {
    ref: { kind: "site", file: "f.dat", tag: "list", attrs: ["a"] },
  });
  assertEquals(parseSiteRef("ext:f.dat"), { problem: 'not "ext:FILE:TAG"' });
  assertEquals(parseSiteRef("geosite:"), { problem: "empty list name" });
  assertEquals(parseSiteRef("domain:x.com"), undefined);
});

Deno.test("geo: domain entries parse as V2Ray 4.34's (dotless:, empty values, bad regexps)", () => {
  assertEquals(parseDomainEntry("example"), { pattern: { kind: "plain", value: "example" } });
  assertEquals(parseDomainEntry("keyword:ex"), { pattern: { kind: "plain", value: "ex" } });
  assertEquals(parseDomainEntry("domain:a.com"), { pattern: { kind: "domain", value: "a.com" } });
  assertEquals(parseDomainEntry("full:a.com"), { pattern: { kind: "full", value: "a.com" } });
  assertEquals(parseDomainEntry("regexp:^a$"), { pattern: { kind: "regex", value: "^a$" } });
  assertEquals(parseDomainEntry("dotless:"), { pattern: { kind: "regex", value: "^[^.]*$" } });
  assertEquals(parseDomainEntry("dotless:lan"), {
    pattern: { kind: "regex", value: "^[^.]*lan[^.]*$" },
  });
  assertEquals(parseDomainEntry("dotless:a.b"), { problem: "dotless: must not contain a dot" });
  assertEquals(parseDomainEntry("full:"), { problem: "empty full: value" });
  assertEquals(parseDomainEntry("regexp:("), { problem: "not a valid regular expression" });
});

Deno.test("geo: the built-in private ranges are 4.34's geoip.dat PRIVATE tag", () => {
  const inside = (ip: string) => PRIVATE_CIDRS.some((c) => cidrContains(c, ipBytes(ip)!));
  for (
    const ip of [
      "10.1.2.3",
      "127.0.0.1",
      "192.168.1.1",
      "172.31.255.255",
      "100.64.0.1",
      "169.254.9.9",
      "0.1.2.3",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:192.168.0.1",
    ]
  ) {
    assert(inside(ip), ip);
  }
  for (const ip of ["8.8.8.8", "172.32.0.1", "1.1.1.1", "2001:db8::1", "::2", "100.128.0.1"]) {
    assert(!inside(ip), ip);
  }
  assertEquals(PRIVATE_CIDRS.length, 19);
});
