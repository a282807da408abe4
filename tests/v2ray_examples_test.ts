/**
 * The example configs of Debian's `v2ray` package pass `denoray test` (and `v2ray -test`, with the
 * same asset files); without the package, equivalent configs written here stand in for them. A
 * config with Debian's `geoip:private` rule blocks a private target when run.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { peerTest } from "./helpers/peer.ts";
import { v2rayAccepts } from "./helpers/v2ray_test.ts";
import { assetDir, geoIpDat, geoSiteDat } from "./helpers/geo_dat.ts";
import { GreetingServer, readGreeting } from "./helpers/net.ts";
import { spawnDenoray, writeTempConfig } from "./helpers/process.ts";
import {
  assetDirectories,
  ConfigError,
  fileAssets,
  formatIssue,
  loadConfigFiles,
} from "../lib/config/mod.ts";
import { parseCidr } from "../lib/core/cidr.ts";

const DEBIAN_DIR = "/usr/share/v2ray";

/** The files dpkg says the v2ray package installed, or null without the package. */
function debianFiles(): string[] | null {
  try {
    const out = new Deno.Command("dpkg", { args: ["-L", "v2ray"], stdout: "piped", stderr: "null" })
      .outputSync();
    return out.code === 0 ? new TextDecoder().decode(out.stdout).split("\n").filter(Boolean) : null;
  } catch {
    return null; // no dpkg
  }
}

const packaged = debianFiles();
const debianConfigs = (packaged ?? []).filter((f) =>
  f.startsWith(`${DEBIAN_DIR}/`) && f.endsWith(".json")
);

// Stand-ins with the same features as Debian's four examples (comments, sniffing, dns, an unknown
// "other" key, geoip:private, geosite:category-ads, legacy alterId, policy levels).
const STAND_INS: Record<string, string> = {
  "config.json": `// Like Debian's config.json
{
  "log": { /* "access": "/path" */ "loglevel": "warning" },
  "inbounds": [{ "port": 1080, "listen": "127.0.0.1", "tag": "socks-inbound", "protocol": "socks",
    "settings": { "auth": "noauth", "udp": false, "ip": "127.0.0.1" },
    "sniffing": { "enabled": true, "destOverride": ["http", "tls"] } }],
  "outbounds": [{ "protocol": "freedom", "settings": {}, "tag": "direct" },
    { "protocol": "blackhole", "settings": {}, "tag": "blocked" }],
  "routing": { "domainStrategy": "IPOnDemand", "rules": [
    { "type": "field", "ip": ["geoip:private"], "outboundTag": "blocked" },
    { "type": "field", "domain": ["geosite:category-ads"], "outboundTag": "blocked" } ] },
  "dns": { "hosts": { "domain:v2ray.com": "www.vicemc.net" },
    "servers": ["1.1.1.1", { "address": "114.114.114.114", "port": 53, "domains": ["geosite:cn"] },
      "8.8.8.8", "localhost"] },
  "policy": { "levels": { "0": { "uplinkOnly": 0, "downlinkOnly": 0 } },
    "system": { "statsInboundUplink": false, "statsInboundDownlink": false } },
  "other": {}
}`,
  "config_vmess.json":
    `{ "inbounds": [{ "port": 10086, "protocol": "vmess", "settings": { "clients": [
    { "id": "23ad6b10-8d1a-40f7-8ad0-e3e35cd38297", "level": 1, "alterId": 64 } ] } }],
  "outbounds": [{ "protocol": "freedom", "settings": {} },
    { "protocol": "blackhole", "settings": {}, "tag": "blocked" }] }`,
  "vpoint_socks_vmess.json": `{ "log": { "loglevel": "warning" },
  "inbounds": [{ "port": 1080, "listen": "127.0.0.1", "protocol": "socks",
    "settings": { "auth": "noauth", "udp": false, "ip": "127.0.0.1" } }],
  "outbounds": [{ "protocol": "freedom", "settings": {}, "tag": "direct" }],
  "policy": { "levels": { "0": { "uplinkOnly": 0 } } } }`,
  "vpoint_vmess_freedom.json": `{ "inbounds": [{ "port": 10086, "protocol": "vmess", "settings": {
    "clients": [{ "id": "23ad6b10-8d1a-40f7-8ad0-e3e35cd38297", "level": 1, "alterId": 64 }] } }],
  "outbounds": [{ "protocol": "freedom", "settings": {} },
    { "protocol": "blackhole", "settings": {}, "tag": "blocked" }],
  "routing": { "rules": [{ "type": "field", "ip": ["geoip:private"], "outboundTag": "blocked" }] } }`,
};

/** The example configs in a temp dir: Debian's when installed, else the stand-ins. */
async function examples(): Promise<{ dir: string; names: string[] } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "denoray-examples-" });
  const names: string[] = [];
  if (debianConfigs.length > 0) {
    for (const f of debianConfigs) {
      const name = f.slice(DEBIAN_DIR.length + 1);
      await Deno.copyFile(f, `${dir}/${name}`);
      names.push(name);
    }
  } else {
    console.log(
      "Debian's v2ray package is not installed: testing stand-ins for its example configs",
    );
    for (const [name, text] of Object.entries(STAND_INS)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      names.push(name);
    }
  }
  return { dir, names, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

const cidrBytes = (s: string) => {
  const c = parseCidr(s)!;
  return { ip: c.bytes, prefix: c.prefix };
};

/** Small geoip.dat / geosite.dat with the tags the examples name. */
function exampleAssets() {
  return assetDir({
    "geoip.dat": geoIpDat([
      { code: "PRIVATE", cidrs: ["10.0.0.0/8", "127.0.0.0/8", "192.168.0.0/16"].map(cidrBytes) },
      { code: "CN", cidrs: ["1.0.1.0/24"].map(cidrBytes) },
    ]),
    "geosite.dat": geoSiteDat([
      { code: "CATEGORY-ADS", domains: [{ type: "domain", value: "doubleclick.net" }] },
      { code: "CN", domains: [{ type: "domain", value: "cn" }] },
    ]),
  });
}

async function denorayAccepts(file: string, assetsDir: string | undefined): Promise<string> {
  const env = (name: string) =>
    name === "V2RAY_LOCATION_ASSET" && assetsDir !== undefined ? assetsDir : undefined;
  try {
    const { warnings } = await loadConfigFiles([file], {
      // As the CLI looks them up, with V2RAY_LOCATION_ASSET set (or, without, only /nonexistent).
      assets: fileAssets(assetsDir ? assetDirectories(env, "/nonexistent/x") : ["/nonexistent"]),
    });
    return warnings.map(formatIssue).join("\n");
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`${file} refused:\n${e.message}`);
    throw e;
  }
}

Deno.test("examples: every example config passes denoray test (geo data from V2RAY_LOCATION_ASSET)", async () => {
  await using ex = await examples();
  await using assets = await exampleAssets();
  assertEquals(ex.names.length >= 4, true, ex.names.join(", "));
  for (const name of ex.names) await denorayAccepts(`${ex.dir}/${name}`, assets.dir);
});

Deno.test("examples: geoip:private needs no data file here (4.34 needs geoip.dat)", async () => {
  await using ex = await examples();
  const warnings = await denorayAccepts(`${ex.dir}/vpoint_vmess_freedom.json`, undefined);
  assertEquals(warnings, "");
});

peerTest(
  "v2ray",
  "examples: v2ray -test accepts each example with the same asset files",
  async () => {
    await using ex = await examples();
    await using assets = await exampleAssets();
    for (const name of ex.names) {
      const r = await v2rayAccepts([`${ex.dir}/${name}`], { V2RAY_LOCATION_ASSET: assets.dir });
      assert(r.ok, `${name}: ${r.output}`);
    }
  },
);

Deno.test("examples: Debian's own geoip.dat / geosite.dat, where the package ships them", async () => {
  const shipped = (packaged ?? []).filter((f) => /\/(geoip|geosite)\.dat$/.test(f));
  if (shipped.length === 0) {
    console.log(
      packaged === null
        ? "skipping: Debian's v2ray package is not installed"
        : "skipping: Debian's v2ray package ships no geoip.dat or geosite.dat",
    );
    return;
  }
  const missing = shipped.filter((f) => {
    try {
      return !Deno.statSync(f).isFile;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    // The package lists them but they are gone: a broken install, an error in CI.
    if (Deno.env.get("CI") === "true") {
      throw new Error(`v2ray lists ${missing.join(", ")}: missing`);
    }
    console.log(`skipping: v2ray lists ${missing.join(", ")} but they are missing`);
    return;
  }
  await using ex = await examples();
  const dir = shipped[0].slice(0, shipped[0].lastIndexOf("/"));
  for (const name of ex.names) await denorayAccepts(`${ex.dir}/${name}`, dir);
});

Deno.test("examples: run with Debian's geoip:private rule blocks a private target, serves others", async () => {
  await using greeting = new GreetingServer("hello");
  await using assets = await assetDir({});
  const config = (rule: string) => ({
    inbounds: [{
      tag: "door",
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: greeting.port },
    }],
    outbounds: [
      { protocol: "freedom", settings: {} },
      { protocol: "blackhole", settings: {}, tag: "blocked" },
    ],
    routing: { rules: [{ type: "field", ip: [rule], outboundTag: "blocked" }] },
  });
  for (const [rule, expected] of [["geoip:private", ""], ["geoip:!private", "hello"]] as const) {
    const file = await writeTempConfig(config(rule));
    try {
      // An empty asset directory: geoip:private comes built in.
      await using p = spawnDenoray(["run", "-c", file], { V2RAY_LOCATION_ASSET: assets.dir });
      const [, port] = await p.waitFor(
        /door \(dokodemo-door\) listening on tcp 127\.0\.0\.1:(\d+)/,
      );
      assertEquals(await readGreeting(Number(port)), expected, rule);
      if (expected === "") {
        const line = await p.waitFor(/accepted tcp:127\.0\.0\.1:\d+ \[door -> blocked\]/);
        assertStringIncludes(line[0], "blocked");
      }
    } finally {
      await Deno.remove(file);
    }
  }
});
