/** UDP from a plain `deno run` in the project (deno.json enables it), and a clear failure without. */
import { assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { Spawned, writeTempConfig } from "./helpers/process.ts";
import { UdpEchoServer } from "./helpers/net.ts";
import { socksUdpRoundTrip } from "./helpers/socks.ts";
import { loadConfigObject } from "../lib/config/mod.ts";
import { checkUdp } from "../lib/app/udp_support.ts";

const SOCKS_UDP = {
  inbounds: [{
    tag: "socks-in",
    listen: "127.0.0.1",
    port: 0,
    protocol: "socks",
    settings: { udp: true },
  }],
  outbounds: [{ protocol: "freedom" }],
};

Deno.test("udp: `deno run -A main.ts run` without --unstable-net relays a SOCKS datagram", async () => {
  await using echo = new UdpEchoServer({ prefix: new TextEncoder().encode("echo:") });
  const config = await writeTempConfig(SOCKS_UDP);
  try {
    await using p = new Spawned(Deno.execPath(), ["run", "-A", "main.ts", "run", "-c", config]);
    const [, port] = await p.waitFor(
      /inbound socks-in \(socks\) listening on tcp 127\.0\.0\.1:(\d+)/,
    );
    const reply = await socksUdpRoundTrip(Number(port), echo.port, new TextEncoder().encode("hi"));
    assertEquals(new TextDecoder().decode(reply), "echo:hi");
  } finally {
    await Deno.remove(config);
  }
});

Deno.test("udp: without UDP sockets, start-up fails naming the inbound and the fix", () => {
  const { config } = loadConfigObject({
    inbounds: [
      SOCKS_UDP.inbounds[0],
      {
        tag: "door",
        listen: "127.0.0.1",
        port: 0,
        protocol: "dokodemo-door",
        settings: {
          address: "127.0.0.1",
          port: 53,
          network: "udp",
        },
      },
      { tag: "tcp-only", listen: "127.0.0.1", port: 0, protocol: "socks", settings: {} },
    ],
    outbounds: [{ protocol: "freedom" }],
  });
  const e = assertThrows(() => checkUdp(config, false));
  assertStringIncludes(
    e.message,
    'inbound "socks-in" (socks with "udp": true), inbound "door" (dokodemo-door with network "udp") need UDP sockets',
  );
  assertStringIncludes(e.message, "--unstable-net");
  // With UDP, or with no inbound that needs it, nothing is thrown.
  checkUdp(config, true);
  checkUdp(loadConfigObject({ inbounds: [], outbounds: [] }).config, false);
});
