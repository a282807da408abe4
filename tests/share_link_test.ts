/** vmess:// share links: v2rayN's format both ways, lenient reading, links from a server config, QR. */
import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { fuzzParams } from "./helpers/fuzz.ts";
import {
  clientConfigOf,
  decodeVmessLink,
  encodeVmessLink,
  renderQr,
  ShareLinkError,
  sharesOf,
  type VmessShare,
} from "../lib/share/mod.ts";
import { loadConfigObject } from "../lib/config/mod.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { EchoServer, patternBytes, within } from "./helpers/net.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";

const SHARE: VmessShare = {
  ps: "alice",
  add: "vpn.example.com",
  port: 443,
  id: ID,
  aid: 0,
  scy: "auto",
  net: "ws",
  type: "none",
  host: "vpn.example.com",
  path: "/ray",
  tls: "tls",
  sni: "vpn.example.com",
  alpn: "",
  insecure: false,
};

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

Deno.test("share link: written as v2rayN writes it (version 2, string values, padded base64)", () => {
  const link = encodeVmessLink(SHARE);
  assert(link.startsWith("vmess://"));
  const json = JSON.parse(atob(link.slice(8)));
  assertEquals(json, {
    v: "2",
    ps: "alice",
    add: "vpn.example.com",
    port: "443",
    id: ID,
    aid: "0",
    scy: "auto",
    net: "ws",
    type: "none",
    host: "vpn.example.com",
    path: "/ray",
    tls: "tls",
    sni: "vpn.example.com",
    alpn: "",
  });
  assertEquals(link.length % 4, 0, "padded");
});

Deno.test("share link: read leniently, as v2rayN reads links other apps emit", () => {
  const json = `{"v":2,"ps":"Ünïcode ✓","add":"1.2.3.4","port":10086,"id":"${ID}","aid":4,` +
    `"net":"tcp","type":"none","host":"","path":"","tls":""}`;
  const std = b64(json);
  const urlSafe = std.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  for (const body of [std, urlSafe, `${std.slice(0, 20)}\n${std.slice(20)}  `]) {
    const s = decodeVmessLink(`vmess://${body}`);
    assertEquals([s.ps, s.add, s.port, s.aid, s.net, s.scy], [
      "Ünïcode ✓",
      "1.2.3.4",
      10086,
      4,
      "tcp",
      "",
    ]);
  }
  // The URI form (Xray's proposal, read by v2rayN).
  const uri = decodeVmessLink(
    `vmess://${ID}@[2001:db8::1]:8443?type=ws&security=tls&path=%2Fws%3Fed%3D2048&host=cdn.example&sni=sni.example#my%20box`,
  );
  assertEquals(
    [uri.add, uri.port, uri.net, uri.path, uri.host, uri.tls, uri.sni, uri.ps],
    ["2001:db8::1", 8443, "ws", "/ws?ed=2048", "cdn.example", "tls", "sni.example", "my box"],
  );
  for (
    const bad of [
      "vless://x",
      "vmess://!!!",
      `vmess://${b64("[1]")}`,
      `vmess://${b64('{"add":"a","port":"0","id":"x"}')}`,
      `vmess://${ID}@host.example:443#%E0%A4%A`, // a broken %-escape in the remark
      `vmess://%E0%A4%A@host.example:443`, // and in the user id
    ]
  ) {
    assertThrows(() => decodeVmessLink(bad), ShareLinkError);
  }
});

Deno.test("share link: any share survives encode → decode", () => {
  const text = fc.string({ maxLength: 40 });
  fc.assert(
    fc.property(
      fc.record({
        ps: text,
        add: fc.domain(),
        port: fc.integer({ min: 1, max: 65535 }),
        id: fc.uuid(),
        aid: fc.integer({ min: 0, max: 65535 }),
        scy: fc.constantFrom("auto", "aes-128-gcm", "none"),
        net: fc.constantFrom("tcp", "ws"),
        type: fc.constantFrom("none", "http"),
        host: fc.domain(),
        path: fc.constantFrom("/", "/a?ed=2048", ""),
        tls: fc.constantFrom("tls", ""),
        sni: fc.domain(),
        alpn: fc.constantFrom("", "h2,http/1.1"),
        insecure: fc.boolean(),
      }),
      (s) => {
        const trimmed = { ...s, ps: s.ps.trim(), path: s.path };
        assertEquals(decodeVmessLink(encodeVmessLink(trimmed)), trimmed);
      },
    ),
    fuzzParams(),
  );
});

function serverConfig(listen: string, streamSettings?: unknown) {
  return loadConfigObject({
    inbounds: [{
      tag: "vmess-ws",
      listen,
      port: 10000,
      protocol: "vmess",
      settings: {
        clients: [{ id: ID, email: "alice@x" }, { id: ID.replace("b8", "c8"), alterId: 4 }],
      },
      ...(streamSettings ? { streamSettings } : {}),
    }],
    outbounds: [{ protocol: "freedom" }],
  }).config;
}

Deno.test("share link: one per client, transport, path, Host, TLS and SNI from the inbound", () => {
  const config = serverConfig("0.0.0.0", {
    network: "ws",
    security: "tls",
    wsSettings: { path: "/ray", headers: { Host: "cdn.example.com" } },
    tlsSettings: {
      serverName: "vpn.example.com",
      certificates: [{ certificateFile: "/c", keyFile: "/k" }],
    },
  });
  assertThrows(() => sharesOf(config), ShareLinkError, "--host");
  const shares = sharesOf(config, { host: "vpn.example.com" });
  assertEquals(shares.length, 2);
  assertEquals(shares[0].share, {
    ps: "alice@x",
    add: "vpn.example.com",
    port: 10000,
    id: ID,
    aid: 0,
    scy: "auto",
    net: "ws",
    type: "none",
    host: "cdn.example.com",
    path: "/ray",
    tls: "tls",
    sni: "vpn.example.com",
    alpn: "",
    insecure: false,
  });
  assertEquals([shares[1].share.ps, shares[1].share.aid], ["vmess-ws-2", 4]);
  assertEquals(sharesOf(config, { host: "h", email: "alice@x" }).length, 1);
  // Behind a TLS front end on 443 the link says so.
  const plain = serverConfig("127.0.0.1", { network: "ws", wsSettings: { path: "/ws" } });
  const fronted = sharesOf(plain, { host: "vpn.example.com", port: 443, tls: true })[0].share;
  assertEquals([fronted.port, fronted.tls, fronted.sni, fronted.path], [
    443,
    "tls",
    "vpn.example.com",
    "/ws",
  ]);
});

Deno.test("share link: the decoded client config is valid and carries traffic to the server", async () => {
  await using echo = new EchoServer();
  await using server = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients: [{ id: ID, email: "alice@x" }] },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  const config = serverConfig("127.0.0.1");
  const [{ share }] = sharesOf(config, { port: server.port() });
  const client = clientConfigOf(decodeVmessLink(encodeVmessLink(share)), 0);
  // Port 0 for the test; the HTTP inbound's "next port" becomes 1, so give it 0 too.
  (client.inbounds as { port: number }[])[1].port = 0;
  await using running = await RunningInstance.start(client);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: running.portOf("socks") });
  try {
    await conn.write(new Uint8Array([5, 1, 0]));
    const buf = new Uint8Array(64);
    assertEquals(await conn.read(buf), 2);
    await conn.write(new Uint8Array([5, 1, 0, 1, 127, 0, 0, 1, echo.port >> 8, echo.port & 0xff]));
    assertEquals(await conn.read(buf), 10);
    const data = patternBytes(5000, 3);
    await conn.write(data);
    const got = new Uint8Array(data.length);
    for (let o = 0; o < got.length;) {
      const n = await within(conn.read(got.subarray(o)), 10_000, "echo");
      assert(n !== null);
      o += n;
    }
    assertEquals(got, data);
  } finally {
    conn.close();
  }
  assertThrows(() => clientConfigOf({ ...share, net: "grpc" }), ShareLinkError, "grpc");
});

Deno.test("share link: the QR code holds the link's modules, two rows per line", () => {
  const link = encodeVmessLink(SHARE);
  const art = renderQr(link, { quietZone: 0 });
  const lines = art.split("\n");
  const width = lines[0].length;
  assert(width >= 21 && (width - 17) % 4 === 0, `a QR version's size: ${width}`);
  assertEquals(lines.length, Math.ceil(width / 2));
  assert(/^[█▀▄ \n]+$/.test(art));
  // The finder pattern's first two rows (a dark row over dark-light-…-dark): in the default
  // drawing ink marks light modules, with darkOnLight it marks dark ones.
  assertEquals(lines[0].slice(0, 7), " ▄▄▄▄▄ ");
  const inverse = renderQr(link, { quietZone: 0, darkOnLight: true }).split("\n")[0];
  assertEquals(inverse.slice(0, 7), "█▀▀▀▀▀█");
});
