/** The metrics endpoint: open connections per inbound and outbound, handshake results, build, memory. */
import { assert, assertEquals } from "./assert.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { EchoServer, within } from "./helpers/net.ts";
import { parseUuid } from "../lib/vmess/mod.ts";
import { firstPacket } from "./helpers/vmess.ts";

const ID = parseUuid("b831381d-6324-4d53-ad4f-8cda48b30811")!;

/** The value of the sample whose line starts with `prefix` in a scrape, or null. */
function sample(text: string, prefix: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(prefix + " "));
  return line === undefined ? null : Number(line.slice(prefix.length + 1));
}

Deno.test("metrics: open connections per inbound and outbound, handshakes by result, build and memory", async () => {
  await using echo = new EchoServer();
  await using inst = await RunningInstance.start({
    stats: { listen: "127.0.0.1:0" },
    inbounds: [
      {
        tag: "door",
        listen: "127.0.0.1",
        port: 0,
        protocol: "dokodemo-door",
        settings: { address: "127.0.0.1", port: echo.port },
      },
      {
        tag: "vm",
        listen: "127.0.0.1",
        port: 0,
        protocol: "vmess",
        settings: { clients: [{ id: ID }] },
      },
    ],
    outbounds: [{ tag: "direct", protocol: "freedom" }],
    policy: { levels: { "0": { handshake: 2 } } },
  });
  const url = inst.instance.metricsAddress()!.replace(/^http /, "http://");
  const scrape = async () => await (await fetch(url)).text();

  // One tunnel held open through the dokodemo-door: counted on both sides while it lives.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: inst.portOf("door") });
  try {
    await conn.write(new Uint8Array([1]));
    assertEquals(await within(conn.read(new Uint8Array(1)), 10_000, "echo"), 1);
    const open = await scrape();
    assertEquals(sample(open, 'denoray_inbound_connections{inbound="door"}'), 1, open);
    assertEquals(sample(open, 'denoray_outbound_connections{outbound="direct"}'), 1, open);
  } finally {
    conn.close();
  }

  // A VMess client with a wrong id, then a good one: one bad-auth, one ok.
  const other = parseUuid("00000000-0000-4000-8000-000000000001")!;
  for (const bytes of [firstPacket(echo.port, other), firstPacket(echo.port, ID)]) {
    const c = await Deno.connect({ hostname: "127.0.0.1", port: inst.portOf("vm") });
    try {
      await c.write(bytes);
      await c.closeWrite();
      while (await c.read(new Uint8Array(512)).catch(() => null) !== null) { /* to the end */ }
    } finally {
      c.close();
    }
  }
  const text = await scrape();
  assertEquals(sample(text, 'denoray_handshakes_total{inbound="vm",result="bad-auth"}'), 1, text);
  assertEquals(sample(text, 'denoray_handshakes_total{inbound="vm",result="ok"}'), 1, text);
  assert(/^denoray_build_info\{version="[^"]+",deno="[^"]+",crypto="[^"]+"\} 1$/m.test(text), text);
  assert((sample(text, "process_resident_memory_bytes") ?? 0) > 1_000_000, text);
  assert((sample(text, "denoray_connection_descriptor_budget") ?? 0) > 0, text);
  assertEquals(sample(text, "denoray_connections_refused_total"), 0, text);
});
