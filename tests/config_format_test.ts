/**
 * The config format as V2Ray 4.34 reads it: comments, key spelling, enum values, multi-file
 * merge. Each point is also run through the real `v2ray -test` to check both agree.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { peerTest } from "./helpers/peer.ts";
import { v2rayAccepts } from "./helpers/v2ray_test.ts";
import {
  blankComments,
  ConfigError,
  dumpConfig,
  fileAssets,
  formatIssue,
  loadConfigFiles,
  loadConfigObject,
  mergeConfigs,
  validateConfig,
} from "../lib/config/mod.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";
const noAssets = fileAssets(["/nonexistent"]);

/** A case: files (name → text), and whether V2Ray 4.34 (and so denoray) accepts them merged. */
interface Case {
  readonly name: string;
  readonly files: Readonly<Record<string, string>>;
  readonly accepted: boolean;
  /** Text every denoray issue list must contain (warnings or errors). */
  readonly says?: readonly string[];
}

const socks = (port: number, extra = "") =>
  `{ "tag": "in", "port": ${port}, "listen": "127.0.0.1", "protocol": "socks"${extra} }`;

const CASES: readonly Case[] = [
  {
    name: "# comments, // comments and /* */ comments, and # or // inside strings",
    files: {
      "c.json": `# a comment with "quotes" and a { brace
{ "log": { "loglevel": "warning" }, # after a value
  // line comment
  "inbounds": [${socks(1)}], /* a block
  spanning lines */ "outbounds": [{ "protocol": "freedom", "tag": "a#b//c" }] }
# the end`,
    },
    accepted: true,
  },
  {
    name: "a trailing comma left after a comment is still bad JSON",
    files: { "c.json": `{ "outbounds": [{ "protocol": "freedom" }], # x\n }` },
    accepted: false,
    says: ["bad JSON at line 2"],
  },
  {
    name: "keys in any case, as Go's encoding/json matches them",
    files: {
      "c.json": `{ "LOG": { "LogLevel": "warning" },
  "Inbounds": [{ "PORT": 2, "Listen": "127.0.0.1", "Protocol": "vmess",
    "Settings": { "Clients": [{ "ID": "${ID}", "AlterID": 0 }] } }],
  "OutBounds": [{ "Protocol": "freedom", "Tag": "a" }],
  "Routing": { "Rules": [{ "Type": "field", "IP": ["10.0.0.0/8"], "OutboundTag": "a" }] } }`,
    },
    accepted: true,
    says: ['Inbounds: read as "inbounds"', 'inbounds[0].settings.clients[0].ID: read as "id"'],
  },
  {
    name: "enum values in any case where 4.34 lower-cases them",
    files: {
      "c.json": `{ "log": { "loglevel": "Warning" },
  "inbounds": [{ "port": 3, "listen": "127.0.0.1", "protocol": "VMess",
    "settings": { "clients": [{ "id": "${ID}" }] }, "streamSettings": { "network": "TCP" } }],
  "outbounds": [
    { "protocol": "Freedom", "tag": "a", "settings": { "domainStrategy": "useip" } },
    { "protocol": "blackhole", "tag": "b", "settings": { "response": { "type": "HTTP" } } },
    { "protocol": "vmess", "tag": "c", "settings": { "vnext": [{ "address": "a.b", "port": 1,
      "users": [{ "id": "${ID}", "security": "AES-128-GCM" }] }] } }],
  "routing": { "domainStrategy": "ipifnonmatch",
    "rules": [{ "type": "Field", "ip": ["10.0.0.0/8"], "outboundTag": "b" }] } }`,
    },
    accepted: true,
  },
  {
    name: "values 4.34 replaces with its default are accepted, with a warning here",
    files: {
      "c.json": `{ "log": { "loglevel": "verbose" },
  "inbounds": [{ "port": 4, "listen": "127.0.0.1", "protocol": "socks",
    "settings": { "auth": "Password" } }],
  "outbounds": [
    { "protocol": "freedom", "settings": { "domainStrategy": "fastest" } },
    { "protocol": "vmess", "tag": "c", "settings": { "vnext": [{ "address": "a.b", "port": 1,
      "users": [{ "id": "${ID}", "security": "rc4" }] }] } }],
  "routing": { "domainStrategy": "sometimes" } }`,
    },
    accepted: true,
    says: [
      'log.loglevel: "verbose" is not one of',
      'inbounds[0].settings.auth: "Password" is not one of "noauth", "password" (case matters here): read as "noauth"',
      'outbounds[0].settings.domainStrategy: "fastest" is not one of',
      'routing.domainStrategy: "sometimes" is not one of',
      'outbounds[1].settings.vnext[0].users[0].security: "rc4" is not one of',
    ],
  },
  {
    name: "enum values 4.34 refuses are refused",
    files: {
      "c.json": `{ "inbounds": [{ "port": "5-6", "listen": "127.0.0.1", "protocol": "vmess",
    "allocate": { "strategy": "sometimes" }, "streamSettings": { "network": "pigeon" } }],
  "outbounds": [{ "protocol": "blackhole", "settings": { "response": { "type": "teapot" } } }] }`,
    },
    accepted: false,
    says: ["inbounds[0].allocate.strategy"],
  },
  {
    name: "a transport 4.34 does not know is refused, in any case",
    files: {
      "c.json": `{ "inbounds": [{ "port": 5, "listen": "127.0.0.1", "protocol": "socks",
    "streamSettings": { "network": "PIGEON" } }], "outbounds": [{ "protocol": "freedom" }] }`,
    },
    accepted: false,
    says: ["inbounds[0].streamSettings.network"],
  },
  {
    name: "merge: one inbound with a known tag replaces that entry whole (its port is gone)",
    files: {
      "a.json": `{ "inbounds": [${socks(7)}], "outbounds": [{ "protocol": "freedom" }] }`,
      "b.json": `{ "inbounds": [{ "tag": "in", "listen": "127.0.0.1", "protocol": "socks" }] }`,
    },
    accepted: false,
    says: ["inbounds[0].port: is required"],
  },
  {
    name: "merge: two inbounds replace the whole list (the bad first one is gone)",
    files: {
      "a.json":
        `{ "inbounds": [{ "protocol": "socks" }], "outbounds": [{ "protocol": "freedom" }] }`,
      "b.json": `{ "inbounds": [${socks(8)}, { "port": 9, "protocol": "http" }] }`,
    },
    accepted: true,
  },
  {
    name: "merge: a later section replaces the earlier one whole (its bad rule is gone)",
    files: {
      "a.json": `{ "outbounds": [{ "protocol": "freedom", "tag": "a" }],
  "routing": { "domainStrategy": "AsIs", "rules": [{ "type": "field", "ip": ["10.0.0.0/8"] }] } }`,
      "b.json": `{ "Routing": { "domainStrategy": "IPOnDemand" } }`,
    },
    accepted: true,
  },
  {
    name: "merge: one inbound with a new tag is appended",
    files: {
      "a.json": `{ "inbounds": [${socks(10)}], "outbounds": [{ "protocol": "freedom" }] }`,
      "b.json": `{ "inbounds": [{ "tag": "other", "protocol": "socks" }] }`,
    },
    accepted: false,
    says: ["inbounds[1].port: is required"],
  },
];

async function writeCase(c: Case): Promise<{ dir: string; paths: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "denoray-format-" });
  const paths: string[] = [];
  for (const [name, text] of Object.entries(c.files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
    paths.push(`${dir}/${name}`);
  }
  return { dir, paths };
}

async function denorayIssues(paths: string[]): Promise<{ ok: boolean; text: string }> {
  try {
    const { warnings } = await loadConfigFiles(paths, { assets: noAssets });
    return { ok: true, text: warnings.map(formatIssue).join("\n") };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, text: e.issues.map(formatIssue).join("\n") };
  }
}

for (const c of CASES) {
  Deno.test(`format: ${c.name}`, async () => {
    const { dir, paths } = await writeCase(c);
    try {
      const ours = await denorayIssues(paths);
      assertEquals(ours.ok, c.accepted, ours.text);
      for (const s of c.says ?? []) assertStringIncludes(ours.text, s);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

for (const c of CASES) {
  peerTest("v2ray", `format vs v2ray -test: ${c.name}`, async () => {
    const { dir, paths } = await writeCase(c);
    try {
      const theirs = await v2rayAccepts(paths);
      const ours = await denorayIssues(paths);
      assertEquals(theirs.ok, c.accepted, theirs.output);
      assertEquals(ours.ok, theirs.ok, `v2ray: ${theirs.output}\ndenoray: ${ours.text}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("format: comments are blanked in place, so error positions stay right", () => {
  const text = '{ # a\n  "a": 1, // b\n  /* c\n */ "b": "#//" }';
  const out = blankComments(text);
  assertEquals(out.length, text.length);
  assertEquals(JSON.parse(out), { a: 1, b: "#//" });
  assertEquals(out.split("\n").length, text.split("\n").length);
  // As V2Ray's filter: '*', newline, '/' still closes a block comment; a lone final '/' goes.
  assertEquals(JSON.parse(blankComments('{ /* x *\n/ "k": 1 }')), { k: 1 });
  assertEquals(blankComments("{}/"), "{} ");
});

Deno.test("format: two keys landing on one field: the later wins, as in Go", () => {
  const r = validateConfig({ outbounds: [{ protocol: "freedom", Tag: "first", tag: "second" }] });
  assertEquals(r.config?.outbounds[0].tag, "second");
  const s = validateConfig({ outbounds: [{ protocol: "freedom", tag: "first", TAG: "second" }] });
  assertEquals(s.config?.outbounds[0].tag, "second");
  // Map keys (policy levels) are not field names: kept as written.
  const p = validateConfig({ policy: { levels: { "0": { ConnIdle: 7 } } } });
  assertEquals(p.config?.policy?.levels["0"].connIdle, 7);
});

Deno.test("format: unknown keys suggest the likely intended key", () => {
  const r = validateConfig({
    inbounds: [{
      port: 1,
      protocol: "vmess",
      settings: { client: [] },
      sniffing: { enable: true },
    }],
    outbounds: [{ protocol: "freedom", tga: "x" }],
    rooting: {},
  });
  const text = r.issues.map(formatIssue).join("\n");
  assertStringIncludes(
    text,
    'inbounds[0].settings.client: unknown key, ignored; did you mean "clients"?',
  );
  assertStringIncludes(
    text,
    'inbounds[0].sniffing.enable: unknown key, ignored; did you mean "enabled"?',
  );
  assertStringIncludes(text, 'outbounds[0].tga: unknown key, ignored; did you mean "tag"?');
  assertStringIncludes(text, 'rooting: unknown key, ignored; did you mean "routing"?');
  const far = validateConfig({ outbounds: [{ protocol: "freedom", futureKey: 1 }] });
  assertStringIncludes(
    far.issues.map(formatIssue).join("\n"),
    "outbounds[0].futureKey: unknown key, ignored\n".trim(),
  );
  assert(!far.issues.map(formatIssue).join("\n").includes("did you mean"));
});

Deno.test("format: a VMess inbound without clients is a warning, unless a detour feeds it", () => {
  const r = validateConfig({
    inbounds: [
      { tag: "a", port: 1, protocol: "vmess" },
      {
        tag: "b",
        port: 2,
        protocol: "vmess",
        settings: { clients: [{ id: ID }], detour: { to: "c" } },
      },
      {
        tag: "c",
        port: "3-5",
        protocol: "vmess",
        allocate: { strategy: "random", concurrency: 1 },
      },
    ],
    outbounds: [{ protocol: "freedom" }],
  });
  const warnings = r.issues.filter((i) => i.severity === "warning").map(formatIssue);
  assertEquals(warnings, [
    "inbounds[0].settings.clients: no clients: every VMess connection to this inbound will be refused",
  ]);
});

Deno.test("format: --strict makes every warning an error", async () => {
  const raw = { inbounds: [{ port: 1, protocol: "vmess" }], outbounds: [{ protocol: "freedom" }] };
  assert(loadConfigObject(raw).warnings.length === 1);
  const e = await assertRejects(
    () => Promise.resolve().then(() => loadConfigObject(raw, "x.json", { strict: true })),
    ConfigError,
  );
  assertStringIncludes(e.message, "x.json: inbounds[0].settings.clients: no clients");
});

Deno.test("format: a rule without type reads as field, with a warning (4.34 refuses it)", () => {
  const r = validateConfig({
    outbounds: [{ protocol: "freedom", tag: "a" }],
    routing: { rules: [{ ip: ["10.0.0.0/8"], outboundTag: "a" }] },
  });
  assert(r.config);
  assertStringIncludes(
    r.issues.map(formatIssue).join("\n"),
    'routing.rules[0]: no "type": read as "field"',
  );
});

Deno.test("merge v2ray: sections replaced whole; one outbound with a new tag is prepended, or appended from a *tail* file", () => {
  const base = {
    log: { loglevel: "info", access: "a.log" },
    outbounds: [{ tag: "a", protocol: "freedom" }, { tag: "b", protocol: "blackhole" }],
    inbounds: [{ tag: "x", port: 1, protocol: "socks" }, { port: 2, protocol: "http" }],
  };
  const { value, issues } = mergeConfigs([
    { name: "base.json", value: base },
    {
      name: "over.json",
      value: {
        log: { loglevel: "debug" },
        outbounds: [{ tag: "c", protocol: "freedom" }],
        inbounds: [{ port: 3, protocol: "http" }], // untagged: replaces the untagged one
        fakedns: {},
      },
    },
    { name: "90-Tail.json", value: { outbounds: [{ tag: "d", protocol: "freedom" }] } },
    { name: "null.json", value: { log: null, inbounds: [] } },
  ]);
  assertEquals(value, {
    log: { loglevel: "debug" },
    outbounds: [
      { tag: "c", protocol: "freedom" },
      { tag: "a", protocol: "freedom" },
      { tag: "b", protocol: "blackhole" },
      { tag: "d", protocol: "freedom" },
    ],
    inbounds: [{ tag: "x", port: 1, protocol: "socks" }, { port: 3, protocol: "http" }],
  });
  assertEquals(issues.map(formatIssue), [
    "over.json: fakedns: not merged: V2Ray 4.34 takes only its known sections from a later file",
  ]);
});

Deno.test("dump: the merged, defaulted config loads back to the same config", () => {
  const { config } = loadConfigObject({
    log: { loglevel: "Info" },
    inbounds: [
      {
        tag: "v",
        port: "1000-1002",
        protocol: "vmess",
        settings: { clients: [{ id: ID.toUpperCase(), experiments: "AuthenticatedLength" }] },
        allocate: { strategy: "random", concurrency: 1 },
      },
      {
        tag: "d",
        port: 2000,
        protocol: "dokodemo-door",
        settings: { address: "1.2.3.4", port: "53", network: "UDP,tcp" },
      },
      {
        tag: "s",
        port: 3000,
        protocol: "socks",
        sniffing: { enabled: false, destOverride: "HTTP,ssl" },
        streamSettings: { Network: "WS", wsSettings: { path: "/x", headers: { Host: "h" } } },
      },
    ],
    outbounds: [{ protocol: "freedom", tag: "f" }],
    routing: {
      rules: [{
        type: "field",
        port: "53,1000-2000",
        sourcePort: 7,
        network: "tcp",
        ip: "geoip:private",
        outboundTag: "f",
      }],
    },
    policy: { levels: { "0": { connIdle: 30 } } },
    stats: { listen: "[::1]:9100" },
    transport: { tcpSettings: { header: { type: "None" } } },
  });
  const dumped = dumpConfig(config);
  const again = loadConfigObject(JSON.parse(JSON.stringify(dumped))).config;
  assertEquals(again, config);
  const ib = (dumped.inbounds as Record<string, unknown>[])[0];
  assertEquals(ib.port, "1000-1002");
  assertEquals(
    (dumped.routing as { rules: Record<string, unknown>[] }).rules[0].port,
    "53,1000-2000",
  );
  assertEquals(dumped.stats, { listen: "[::1]:9100" });
  // Stream settings go back as written (in V2Ray's spelling), not in their resolved form.
  assertEquals((dumped.inbounds as Record<string, unknown>[])[2].streamSettings, {
    network: "ws",
    wsSettings: { path: "/x", headers: { Host: "h" } },
  });
  assertEquals(dumped.transport, { tcpSettings: { header: { type: "none" } } });
});
