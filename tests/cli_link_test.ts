/** `denoray link`: links and QR codes from a server config, and `--decode` back to a client config. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runToEnd, writeTempConfig } from "./helpers/process.ts";
import { decodeVmessLink } from "../lib/share/mod.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";
const denoray = (...args: string[]) =>
  runToEnd(Deno.execPath(), ["run", "-A", "--unstable-net", "main.ts", ...args]);

Deno.test("cli link: one link per client with the inbound's transport; --decode gives a config test accepts", async () => {
  const server = await writeTempConfig({
    inbounds: [{
      tag: "vm",
      port: 10086,
      protocol: "vmess",
      settings: {
        clients: [{ id: ID, email: "alice@x" }, { id: ID.replace("b8", "c8"), email: "bob@x" }],
      },
      streamSettings: { network: "ws", wsSettings: { path: "/ray" } },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  try {
    const r = await denoray(
      "link",
      "-c",
      server,
      "--host",
      "vpn.example.com",
      "--port",
      "443",
      "--tls",
    );
    assertEquals(r.code, 0, r.stderr);
    const links = r.stdout.split("\n").filter((l) => l.startsWith("vmess://"));
    assertEquals(links.length, 2);
    const alice = decodeVmessLink(links[0]);
    assertEquals(
      [alice.ps, alice.add, alice.port, alice.net, alice.path, alice.tls, alice.sni],
      ["alice@x", "vpn.example.com", 443, "ws", "/ray", "tls", "vpn.example.com"],
    );
    assert(r.stdout.includes("█"), "a QR code under each link");
    const one = await denoray(
      "link",
      "-c",
      server,
      "--host",
      "h.example",
      "--email",
      "bob@x",
      "--no-qr",
    );
    assertEquals(one.stdout.split("\n").filter((l) => l.startsWith("vmess://")).length, 1);
    assert(!one.stdout.includes("█"));
    // Listening on every address, the public name must be given.
    const noHost = await denoray("link", "-c", server);
    assertEquals(noHost.code, 1);
    assertStringIncludes(noHost.stderr, "--host");
    // The link, decoded, is a client config `test` accepts.
    const decoded = await denoray("link", "--decode", links[0]);
    assertEquals(decoded.code, 0, decoded.stderr);
    const client = await writeTempConfig(JSON.parse(decoded.stdout));
    try {
      const t = await denoray("test", "-c", client);
      assertEquals(t.code, 0, t.stderr);
      assertStringIncludes(t.stdout, "Configuration OK.");
    } finally {
      await Deno.remove(client);
    }
    const bad = await denoray("link", "--decode", "vmess://not-a-link");
    assertEquals(bad.code, 1);
  } finally {
    await Deno.remove(server);
  }
});
