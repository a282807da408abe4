/**
 * The config of sniffing, the built-in DNS and routing on `protocol` / `attrs`: what is parsed,
 * what is an error with its path, what is a warning; and the same files through the real
 * `v2ray -test` (4.34) where it is installed, accepted or refused alike.
 */
import { assert, assertEquals } from "./assert.ts";
import { formatIssue, validateConfig } from "../lib/config/mod.ts";

const BASE = {
  inbounds: [{
    port: 1080,
    protocol: "socks",
    sniffing: { enabled: true, destOverride: ["HTTP", "ssl"] },
  }],
  outbounds: [{ protocol: "freedom" }, { tag: "b", protocol: "blackhole" }],
  dns: {
    hosts: { "a.test": "1.2.3.4", "domain:b.test": "c.test" },
    servers: [
      "8.8.8.8",
      { address: "1.1.1.1", port: 53, domains: ["domain:x.test"], expectIps: ["1.0.0.0/8"] },
      "localhost",
      "https+local://dns.google/dns-query",
    ],
    clientIp: "1.2.3.4",
    tag: "dns-out",
  },
  routing: {
    rules: [
      { type: "field", protocol: ["bittorrent"], outboundTag: "b" },
      { type: "field", attrs: "attrs[':method'] == 'GET'", outboundTag: "b" },
    ],
  },
};

type Json = Record<string, unknown>;

/** BASE with `edit` applied to a deep copy. */
function variant(edit: (c: Json & typeof BASE) => void): Json {
  const c = structuredClone(BASE);
  edit(c);
  return c;
}

function issues(config: unknown): { errors: string[]; warnings: string[] } {
  const { issues } = validateConfig(config);
  return {
    errors: issues.filter((i) => i.severity === "error").map(formatIssue),
    warnings: issues.filter((i) => i.severity === "warning").map(formatIssue),
  };
}

Deno.test("config: sniffing, dns and protocol/attrs rules parse to what 4.34 means", () => {
  const { config, issues: all } = validateConfig(BASE);
  assert(config, all.map(formatIssue).join("\n"));
  assertEquals(config.inbounds[0].sniffing, { enabled: true, destOverride: ["http", "tls"] });
  const dns = config.dns!;
  assertEquals(dns.hosts, [
    { rule: "a.test", values: ["1.2.3.4"] },
    { rule: "domain:b.test", values: ["c.test"] },
  ]);
  assertEquals(dns.servers.map((s) => [s.kind, s.name]), [
    ["udp", "udp:8.8.8.8:53"],
    ["udp", "udp:1.1.1.1:53"],
    ["localhost", "localhost"],
    ["doh", "https://dns.google/dns-query"],
  ]);
  assertEquals(dns.servers[1].domains, [{ kind: "domain", value: "x.test" }]);
  assertEquals(dns.servers[1].expectIps.length, 1);
  assertEquals([dns.clientIp, dns.tag], ["1.2.3.4", "dns-out"]);
  assertEquals(config.routing.rules.map((r) => [r.protocol, r.attrs]), [
    [["bittorrent"], undefined],
    [undefined, "attrs[':method'] == 'GET'"],
  ]);
  // Acted on now: no "not acted on" warning; the tag's warning says what it does here.
  assertEquals(issues(BASE).warnings, [
    "dns.tag: DNS queries are sent from this host directly, not through routing: a rule on this inboundTag never matches",
  ]);
});

// Variants 4.34's `v2ray -test` refuses; each is an error here, at its path.
const REFUSED: [string, (c: Json & typeof BASE) => void, string][] = [
  ["destOverride quic", (c) => {
    c.inbounds[0].sniffing.destOverride = ["quic"];
  }, 'inbounds[0].sniffing.destOverride: "quic": use "http" or "tls"'],
  ["attrs syntax", (c) => {
    (c.routing.rules[1] as Json).attrs = "attrs[ == ";
  }, "routing.rules[1].attrs: expected a value at character 8"],
  ["server with a port", (c) => {
    c.dns.servers[0] = "8.8.8.8:53";
  }, 'dns.servers[0].address: "8.8.8.8:53" is not an IP address, a domain'],
  ["expectIps not a CIDR", (c) => {
    (c.dns.servers[1] as Json).expectIps = ["notacidr"];
  }, 'dns.servers[1].expectIps[0]: "notacidr" is not an IP address or a CIDR block'],
  ["clientIp not an IP", (c) => {
    c.dns.clientIp = "x.test";
  }, "dns.clientIp: not an IP address"],
  ["empty domain: host", (c) => {
    (c.dns.hosts as Json) = { "domain:": "1.2.3.4" };
  }, 'dns.hosts.domain:: "domain:": empty domain: rule'],
  ["bad regexp in domains", (c) => {
    (c.dns.servers[1] as Json).domains = ["regexp:("];
  }, 'dns.servers[1].domains[0]: "regexp:(" is not a valid regular expression'],
];

Deno.test("config: what 4.34 refuses is an error with its path", () => {
  for (const [what, edit, want] of REFUSED) {
    const { errors } = issues(variant(edit));
    assert(errors.some((e) => e.startsWith(want)), `${what}: ${want} not in\n${errors.join("\n")}`);
  }
});

Deno.test("config: what 4.34 accepts but never uses is a warning", () => {
  const tcp = issues(variant((c) => {
    c.dns.servers[2] = "tcp://1.1.1.1";
  }));
  assertEquals(tcp.errors, []);
  assert(tcp.warnings.some((w) => w.startsWith("dns.servers[2]: 4.34 has no tcp:// servers")));
  const proto = issues(variant((c) => {
    c.routing.rules[0].protocol = ["quic"];
  }));
  assertEquals(proto.errors, []);
  assert(
    proto.warnings.includes(
      'routing.rules[0].protocol[0]: "quic" never matches: connections carry "http", "tls" or "bittorrent"',
    ),
    proto.warnings.join("\n"),
  );
  // "http" (a prefix of "http1" and "http/1.1") and "tls" are fine.
  const fine = issues(variant((c) => {
    c.routing.rules[0].protocol = ["http", "tls", "bittorrent", "h"];
  }));
  assertEquals(fine.warnings.filter((w) => w.includes(".protocol")), []);
});

Deno.test("config: a rule with only protocol or attrs has a condition; hosts take lists", () => {
  const { errors } = issues({
    outbounds: [{ protocol: "freedom", tag: "d" }],
    dns: { hosts: { "l.test": ["10.0.0.1", "fd00::1"] } },
    routing: {
      rules: [
        { type: "field", protocol: "tls", outboundTag: "d" },
        { type: "field", attrs: "True", outboundTag: "d" },
      ],
    },
  });
  assertEquals(errors, []);
  const list = issues({
    outbounds: [{ protocol: "freedom" }],
    dns: { hosts: { "l.test": ["10.0.0.1", "l2.test"] } },
  });
  assertEquals(list.errors, ['dns.hosts.l.test[1]: "l2.test": a list holds IP addresses only']);
});

async function v2rayTest(config: unknown): Promise<{ ok: boolean; output: string }> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, JSON.stringify(config));
    const out = await new Deno.Command("v2ray", { args: ["-test", "-config", path], stdin: "null" })
      .output();
    const dec = new TextDecoder();
    return { ok: out.success, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
  } finally {
    await Deno.remove(path);
  }
}

function v2rayMissing(): string | null {
  try {
    new Deno.Command("v2ray", { args: ["-version"], stdout: "null", stderr: "null" }).outputSync();
    return null;
  } catch {
    return "v2ray is not installed";
  }
}

const missing = v2rayMissing();
if (missing && Deno.env.get("CI") === "true") throw new Error(`${missing} (required under CI)`);
if (missing) console.log(`skipping the v2ray -test comparisons: ${missing}`);

Deno.test({
  name: "config: v2ray -test (4.34) accepts and refuses the same files",
  ignore: missing !== null,
  fn: async () => {
    const base = await v2rayTest(BASE);
    assert(base.ok, base.output);
    for (const [what, edit] of REFUSED) {
      const r = await v2rayTest(variant(edit));
      assert(!r.ok, `v2ray accepted ${what}`);
    }
    const tcp = await v2rayTest(variant((c) => {
      c.dns.servers[2] = "tcp://1.1.1.1";
    }));
    assert(tcp.ok, tcp.output);
  },
});
