import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import {
  ConfigError,
  fileAssets,
  formatIssue,
  inboundPolicy,
  loadConfigFiles,
  mergeConfigs,
  resolvePolicy,
  validateConfig,
} from "../lib/config/mod.ts";

const fixture = (name: string) => new URL(`./fixtures/config/${name}`, import.meta.url).pathname;

// No asset directory that exists: results do not depend on what this machine has installed.
const noAssets = fileAssets(["/nonexistent"]);

async function errorsOf(name: string): Promise<string[]> {
  try {
    await loadConfigFiles([fixture(name)], { assets: noAssets });
  } catch (e) {
    if (e instanceof ConfigError) {
      return e.issues.filter((i) => i.severity === "error").map(formatIssue);
    }
    throw e;
  }
  throw new Error(`${name} loaded without error`);
}

const cases: [string, string[]][] = [
  ["bad_json.json", ["bad JSON at line 6, column 1"]],
  ["wrong_type.json", ["inbounds[0].settings.udp: expected boolean, got a string"]],
  ["out_of_range.json", [
    "outbounds[0].settings.vnext[0].port: must be at most 65535, got 70000",
    "outbounds[0].settings.vnext[0].users[0].alterId: must be at most 65535, got 65536",
  ]],
  ["bad_uuid.json", ["outbounds[0].settings.vnext[0].users[0].id: not a UUID"]],
  ["duplicate_tag.json", ['inbounds[1].tag: duplicate tag "in"']],
  ["detour_missing.json", ['inbounds[0].settings.detour.to: no inbound has tag "dynamic"']],
  ["detour_not_vmess.json", [
    'inbounds[0].settings.detour.to: "s" is a socks inbound: a detour needs a vmess inbound',
  ]],
  ["unknown_protocol.json", [
    'inbounds[0].protocol: "sox" is not a known protocol',
    'outbounds[0].protocol: "shadowsocks" is not supported as an outbound',
  ]],
  ["dokodemo_no_target.json", [
    "inbounds[0].settings.address: is required",
    "inbounds[0].settings.port: is required",
  ]],
  ["bad_rules.json", [
    'routing.rules[0].ip[1]: "bogus" is not an IP address or a CIDR block',
    'routing.rules[0].ip[2]: "1.2.3.4/33": the prefix length must be a number from 0 to 32',
    'routing.rules[0].ip[3]: "::1/129": the prefix length must be a number from 0 to 128',
    'routing.rules[1].source[0]: "1.2.3.4/x": the prefix length must be a number from 0 to 32',
    "routing.rules[2]: this rule has no effective fields",
    "routing.rules[3]: this rule has no effective fields",
  ]],
  ["missing_port.json", ["inbounds[0].port: is required"]],
  ["chain_loop.json", [
    'outbounds[0].proxySettings.tag: outbound chain loops: "a" → "b" → "a"',
    'outbounds[1].proxySettings.tag: outbound chain loops: "b" → "a" → "b"',
    'outbounds[2].proxySettings.tag: outbound chain loops: "self" → "self"',
  ]],
  ["chain_missing.json", ['outbounds[0].proxySettings.tag: no outbound has tag "hop"']],
  ["unsupported_transport.json", [
    'outbounds[0].streamSettings.network: "kcp": mKCP is not supported',
  ]],
  ["geo_missing.json", [
    'routing.rules[0].ip[1]: "geoip:cn": geoip.dat not found (searched /nonexistent/geoip.dat)',
    'routing.rules[0].domain[0]: "geosite:cn": geosite.dat not found',
  ]],
  ["geo_malformed.json", [
    'routing.rules[0].ip[0]: "ext:": not "ext:FILE:TAG"',
    'routing.rules[0].ip[1]: "geoip:": empty country code',
    'routing.rules[0].domain[0]: "geosite:@ads": empty list name',
    'routing.rules[0].domain[1]: "domain:": empty domain: value',
    'routing.rules[0].domain[2]: "dotless:a.b": dotless: must not contain a dot',
    'routing.rules[0].source[0]: "geosite:cn" belongs in "domain", not in an IP list',
  ]],
];

for (const [name, expected] of cases) {
  Deno.test(`config error fixture ${name} reports its path and message`, async () => {
    const errors = await errorsOf(name);
    for (const want of expected) {
      assert(
        errors.some((e) => e.includes(want)),
        `missing ${JSON.stringify(want)} in ${JSON.stringify(errors)}`,
      );
    }
  });
}

Deno.test("a missing config file is an error naming the file", async () => {
  const errors = await errorsOf("does_not_exist.json").catch((e) => [String(e)]);
  assertStringIncludes(errors.join("\n"), "file not found");
});

Deno.test("accepted-but-inert and unknown keys are warnings with their paths", async () => {
  const { warnings } = await loadConfigFiles([fixture("warnings.json")]);
  const lines = warnings.map(formatIssue);
  for (
    const want of [
      "inbounds[0].futureKey: unknown key, ignored",
      "routing.domainMatcher: is accepted but not acted on",
      "outbounds[0].mux: has effect only on vmess outbounds",
      "outbounds[0].settings.userLevel: is accepted but not acted on",
      "outbounds[1].settings.vnext[0].users[0].level: is accepted but not acted on",
      "outbounds[1].settings.vnext[0].users[0].email: is accepted but not acted on",
    ]
  ) assert(lines.includes(want), `${want} not in\n${lines.join("\n")}`);
});

Deno.test("the default config.json is valid and has the documented shape", async () => {
  const { config, warnings } = await loadConfigFiles([
    new URL("../config.json", import.meta.url).pathname,
  ]);
  assertEquals(warnings.length, 0);
  assertEquals(config.inbounds.map((i) => `${i.protocol}@${i.listen}:${i.port.from}`), [
    "socks@127.0.0.1:1080",
    "http@127.0.0.1:1081",
    "vmess@127.0.0.1:10086",
  ]);
  assertEquals(config.outbounds.map((o) => o.protocol), ["vmess", "freedom"]);
});

Deno.test("VMess fields take V2Ray's defaults and UUIDs are normalised", () => {
  const { config } = validateConfig({
    inbounds: [{
      port: "10086",
      protocol: "vmess",
      settings: { clients: [{ id: "B831381D63244D53AD4F8CDA48B30811" }] },
    }],
    outbounds: [{
      protocol: "vmess",
      settings: {
        vnext: [{
          address: "::1",
          port: 1,
          users: [{ id: "b831381d-6324-4d53-ad4f-8cda48b30811" }],
        }],
      },
    }],
  });
  assert(config);
  const ib = config.inbounds[0];
  assert(ib.protocol === "vmess");
  assertEquals(ib.settings.clients[0], {
    id: "b831381d-6324-4d53-ad4f-8cda48b30811",
    level: 0,
    alterId: 0,
  });
  assertEquals(ib.settings.disableInsecureEncryption, false);
  const ob = config.outbounds[0];
  assert(ob.protocol === "vmess");
  assertEquals(ob.settings.vnext[0].users[0].security, "auto");
  assertEquals(ib.port, { from: 10086, to: 10086 });
});

Deno.test("every security V2Ray users may name is accepted; others read as auto, as in 4.34", () => {
  for (
    const security of ["aes-128-gcm", "chacha20-poly1305", "auto", "none", "aes-128-cfb", "zero"]
  ) {
    const r = validateConfig({
      outbounds: [{
        protocol: "vmess",
        settings: {
          vnext: [{
            address: "a.b",
            port: 1,
            users: [{ id: "b831381d-6324-4d53-ad4f-8cda48b30811", security }],
          }],
        },
      }],
    });
    assert(r.config, security);
  }
  const bad = validateConfig({
    outbounds: [{
      protocol: "vmess",
      settings: {
        vnext: [{
          address: "a.b",
          port: 1,
          users: [{ id: "b831381d-6324-4d53-ad4f-8cda48b30811", security: "rc4" }],
        }],
      },
    }],
  });
  const ob = bad.config?.outbounds[0];
  assert(ob?.protocol === "vmess");
  assertEquals(ob.settings.vnext[0].users[0].security, "auto");
  assertStringIncludes(
    bad.issues.map(formatIssue).join("\n"),
    'outbounds[0].settings.vnext[0].users[0].security: "rc4" is not one of',
  );
});

Deno.test("merge deep: later configs override earlier ones key by key; inbounds merge by tag", () => {
  const { value: merged } = mergeConfigs([
    {
      name: "a.json",
      value: {
        log: { loglevel: "info", access: "a.log" },
        inbounds: [{ tag: "a", port: 1, protocol: "socks" }, {
          tag: "b",
          port: 2,
          protocol: "http",
        }],
      },
    },
    {
      name: "b.json",
      value: {
        log: { loglevel: "debug" },
        inbounds: [{ tag: "a", port: 3 }, { tag: "c", port: 4, protocol: "http" }],
      },
    },
  ], "deep");
  assertEquals(merged, {
    log: { loglevel: "debug", access: "a.log" },
    inbounds: [{ tag: "a", port: 3, protocol: "socks" }, { tag: "b", port: 2, protocol: "http" }, {
      tag: "c",
      port: 4,
      protocol: "http",
    }],
  });
});

Deno.test("policy defaults are V2Ray 4.34's, with level 1 at 600 s only without a policy section", () => {
  const none = resolvePolicy(undefined);
  assertEquals([
    none.level(0).handshakeMs,
    none.level(0).connIdleMs,
    none.level(0).uplinkOnlyMs,
    none.level(0).downlinkOnlyMs,
  ], [60_000, 300_000, 1_000, 1_000]);
  assertEquals(none.level(1).connIdleMs, 600_000);
  const some = resolvePolicy({
    levels: { "0": { connIdle: 5, statsUserUplink: true, statsUserDownlink: false } },
    system: {
      statsInboundUplink: false,
      statsInboundDownlink: false,
      statsOutboundUplink: false,
      statsOutboundDownlink: false,
    },
  });
  assertEquals(some.level(0).connIdleMs, 5_000);
  assertEquals(some.level(0).handshakeMs, 60_000);
  assertEquals(some.level(1).connIdleMs, 300_000);
});

Deno.test("an inbound's settings.timeout is connIdle only at userLevel 0, as in V2Ray 4.34", () => {
  const p = resolvePolicy({
    levels: { "0": { connIdle: 7, statsUserUplink: false, statsUserDownlink: false } },
    system: {
      statsInboundUplink: false,
      statsInboundDownlink: false,
      statsOutboundUplink: false,
      statsOutboundDownlink: false,
    },
  });
  assertEquals(inboundPolicy(p, 0, 5).connIdleMs, 5_000);
  assertEquals(inboundPolicy(p, 0, 0).connIdleMs, 7_000);
  assertEquals(inboundPolicy(p, 0, undefined).connIdleMs, 7_000);
  assertEquals(inboundPolicy(p, 1, 5).connIdleMs, 300_000);
  // An http inbound without timeout keeps the level's connIdle (V2Ray's default is 0, not 300).
  const { config } = validateConfig({
    inbounds: [{ port: 1, protocol: "http" }],
    outbounds: [{ protocol: "freedom" }],
  });
  const ib = config?.inbounds[0];
  assert(ib?.protocol === "http");
  assertEquals(ib.settings.timeout, undefined);
});

Deno.test("a refused true keeps the schema's own message instead of 'true is not one of false'", () => {
  // (PROXY protocol and Mux, the shape-level cases this had, are accepted now.)
  // Settings are checked once the shape is right: followRedirect on its own.
  const s = validateConfig({
    inbounds: [{
      port: 1,
      protocol: "dokodemo-door",
      settings: { address: "a.b", port: 2, followRedirect: true },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  assertStringIncludes(
    s.issues.map(formatIssue).join("\n"),
    "inbounds[0].settings.followRedirect: true (transparent proxy) is not supported",
  );
});

Deno.test("proxySettings: a chain that ends is accepted; only the looping outbounds are errors", async () => {
  const errors = await errorsOf("chain_loop.json");
  // "ok" → "direct" ends, so it is no error; the three looping outbounds are.
  assertEquals(errors.filter((e) => e.includes("proxySettings")).length, 3, errors.join("\n"));
  const r = validateConfig({
    outbounds: [
      { tag: "a", protocol: "freedom", proxySettings: { tag: "b" } },
      {
        tag: "b",
        protocol: "vmess",
        proxySettings: { tag: "c", transportLayer: true },
        settings: {
          vnext: [{
            address: "127.0.0.1",
            port: 1,
            users: [{ id: "b831381d-6324-4d53-ad4f-8cda48b30811" }],
          }],
        },
      },
      { tag: "c", protocol: "freedom" },
      { tag: "bh", protocol: "blackhole", proxySettings: { tag: "c" } },
    ],
  });
  assertEquals(r.issues.filter((i) => i.severity === "error"), []);
  assertEquals(r.config?.outbounds[0].proxySettings?.tag, "b");
  assertStringIncludes(
    r.issues.map(formatIssue).join("\n"),
    "outbounds[3].proxySettings.tag: has no effect: a blackhole outbound opens no connection",
  );
});

Deno.test("network lists and port lists read as V2Ray reads them", () => {
  const rule = (extra: Record<string, unknown>) =>
    validateConfig({
      inbounds: [{ tag: "in", port: 1, protocol: "socks", settings: {} }],
      outbounds: [{ tag: "out", protocol: "freedom" }],
      routing: { rules: [{ type: "field", outboundTag: "out", ...extra }] },
    });
  for (
    const [network, want] of [
      ["tcp", "tcp"],
      ["udp,tcp", "tcp,udp"],
      [" TCP , udp ", "tcp,udp"],
      [["udp"], "udp"],
      [["tcp", "udp"], "tcp,udp"],
    ] as const
  ) {
    assertEquals(rule({ network }).config?.routing.rules[0].network, want, JSON.stringify(network));
  }
  for (const network of ["quic", "", []]) {
    const r = rule({ network });
    assertEquals(r.config, undefined, JSON.stringify(network));
    assertStringIncludes(r.issues.map(formatIssue).join("\n"), "routing.rules[0].network:");
  }
  assertEquals(rule({ port: "53,,80, 1000-1002" }).config?.routing.rules[0].port, [
    { from: 53, to: 53 },
    { from: 80, to: 80 },
    { from: 1000, to: 1002 },
  ]);
  // An empty port list is no condition, so a rule with nothing else has no effective fields.
  assertStringIncludes(
    rule({ port: "" }).issues.map(formatIssue).join("\n"),
    "routing.rules[0]: this rule has no effective fields",
  );
  const door = validateConfig({
    inbounds: [{
      port: 1,
      protocol: "dokodemo-door",
      settings: { address: "1.2.3.4", port: 2, network: ["udp", "tcp"] },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  const s = door.config?.inbounds[0].settings as { network?: string } | undefined;
  assertEquals(s?.network, "tcp,udp");
});

Deno.test("mux: concurrency as V2Ray 4.34 reads it; over 1024 or not a 16-bit integer is an error", () => {
  const ob = (mux: unknown) => ({
    inbounds: [],
    outbounds: [{
      protocol: "vmess",
      mux,
      settings: {
        vnext: [{
          address: "a.b",
          port: 1,
          users: [{ id: "b831381d-6324-4d53-ad4f-8cda48b30811" }],
        }],
      },
    }],
  });
  for (const ok of [{ enabled: true }, { enabled: true, concurrency: 1024 }, { concurrency: -1 }]) {
    assert(validateConfig(ob(ok)).config !== undefined, JSON.stringify(ok));
  }
  for (const bad of [{ enabled: false, concurrency: 1025 }, { enabled: true, concurrency: 1.5 }]) {
    const lines = validateConfig(ob(bad)).issues.map(formatIssue).join("\n");
    assertStringIncludes(lines, "outbounds[0].mux.concurrency:");
  }
});
