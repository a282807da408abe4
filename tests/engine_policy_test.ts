/**
 * End to end through real sockets: policy uplinkOnly / downlinkOnly. Once one direction of a
 * relayed connection has finished (a FIN came through), the other may stay idle only that long;
 * while it keeps moving data, it stays open.
 *
 * Each test drives both ends itself: a client on a dokodemo-door and the target's accepted
 * socket behind freedom. connIdle is large, so a close within the bounds below comes from the
 * half-close limits, and the limit not under test is large too, so the right one must apply.
 */
import { assertEquals } from "./assert.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { digest, patternBytes, within } from "./helpers/net.ts";

/** How long a connection may take to be closed by a 1 s limit before the test fails. */
const CLOSE_BOUND_MS = 20_000;
/** The limits not under test, and connIdle: far beyond CLOSE_BOUND_MS. */
const LONG_S = 300;

/** A dokodemo-door → freedom instance to `target`, with these half-close limits in seconds. */
function start(
  target: Deno.TcpListener,
  limits: { uplinkOnly: number; downlinkOnly: number },
): Promise<RunningInstance> {
  return RunningInstance.start({
    inbounds: [{
      tag: "door",
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: target.addr.port },
    }],
    outbounds: [{ protocol: "freedom" }],
    policy: { levels: { "0": { connIdle: LONG_S, ...limits } } },
  });
}

/** A client connection through `inst` and the target's side of it. */
async function connectPair(
  inst: RunningInstance,
  target: Deno.TcpListener,
): Promise<{ client: Deno.Conn; server: Deno.Conn }> {
  const client = await Deno.connect({ hostname: "127.0.0.1", port: inst.portOf("door") });
  try {
    const server = await within(target.accept(), CLOSE_BOUND_MS, "the target's accept");
    return { client, server };
  } catch (e) {
    client.close();
    throw e;
  }
}

/** Reads exactly `n` bytes, failing on an early end. */
async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let o = 0;
  while (o < n) {
    const r = await conn.read(out.subarray(o));
    if (r === null) throw new Error(`connection ended after ${o} of ${n} bytes`);
    o += r;
  }
  return out;
}

/** Reads until the connection ends; returns everything read ("ended" covers a reset too). */
async function readUntilEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } catch {
    // Reset: the connection ended all the same.
  }
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Writes `data` in `parts` pieces, `gapMs` apart (a slow but steady sender), then sends FIN. */
async function writeSteadily(
  conn: Deno.Conn,
  data: Uint8Array,
  parts: number,
  gapMs: number,
): Promise<void> {
  const size = Math.ceil(data.length / parts);
  for (let o = 0; o < data.length; o += size) {
    if (o > 0) await new Promise((r) => setTimeout(r, gapMs)); // pacing, not synchronisation
    let w = o;
    const end = Math.min(data.length, o + size);
    while (w < end) w += await conn.write(data.subarray(w, end));
  }
  await conn.closeWrite();
}

function closeAll(...conns: (Deno.Conn | undefined)[]): void {
  for (const c of conns) {
    try {
      c?.close();
    } catch {
      // Already closed.
    }
  }
}

const HELLO = new TextEncoder().encode("hello");

Deno.test("policy: downlinkOnly closes both ends when the target stays silent after the client's FIN", async () => {
  using target = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using inst = await start(target, { uplinkOnly: LONG_S, downlinkOnly: 1 });
  const { client, server } = await connectPair(inst, target);
  try {
    await client.write(HELLO);
    assertEquals(await readExactly(server, HELLO.length), HELLO);
    await client.closeWrite();
    // The FIN came through: the uplink is finished and the downlink has 1 s of idleness left.
    assertEquals(await server.read(new Uint8Array(1)), null);
    const toClient = await within(readUntilEnd(client), CLOSE_BOUND_MS, "closing the client");
    assertEquals(toClient.length, 0, "nothing was sent to the client");
    // The relay closed the target's side too (the target never half-closed, so this is teardown).
    const toServer = await within(readUntilEnd(server), CLOSE_BOUND_MS, "closing the target");
    assertEquals(toServer.length, 0);
  } finally {
    closeAll(client, server);
  }
});

Deno.test("policy: uplinkOnly closes both ends when the client stays silent after the target's FIN", async () => {
  using target = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using inst = await start(target, { uplinkOnly: 1, downlinkOnly: LONG_S });
  const { client, server } = await connectPair(inst, target);
  try {
    await server.write(HELLO);
    await server.closeWrite();
    // The whole reply and the FIN reach the client: the downlink is finished.
    assertEquals(await readUntilEnd(client), HELLO);
    // The client neither sends nor closes: after uplinkOnly the relay closes the target's side.
    const toServer = await within(readUntilEnd(server), CLOSE_BOUND_MS, "closing the target");
    assertEquals(toServer.length, 0, "nothing was sent to the target");
  } finally {
    closeAll(client, server);
  }
});

// The remaining direction moves a piece every 200 ms for 4 s: twice the 2 s limit overall, while
// no gap comes near it. A relay that stopped counting activity after the FIN would cut it short.
const PARTS = 20;
const GAP_MS = 200;

Deno.test("policy: downlinkOnly does not close a downlink that keeps moving after the client's FIN", async () => {
  using target = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using inst = await start(target, { uplinkOnly: LONG_S, downlinkOnly: 2 });
  const { client, server } = await connectPair(inst, target);
  try {
    await client.closeWrite();
    assertEquals(await server.read(new Uint8Array(1)), null);
    const data = patternBytes(PARTS * 1000, 11);
    const [got] = await Promise.all([
      within(readUntilEnd(client), CLOSE_BOUND_MS, "the downlink's end"),
      writeSteadily(server, data, PARTS, GAP_MS),
    ]);
    assertEquals(digest(got), digest(data), `got ${got.length} of ${data.length} bytes`);
  } finally {
    closeAll(client, server);
  }
});

Deno.test("policy: uplinkOnly does not close an uplink that keeps moving after the target's FIN", async () => {
  using target = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using inst = await start(target, { uplinkOnly: 2, downlinkOnly: LONG_S });
  const { client, server } = await connectPair(inst, target);
  try {
    await server.closeWrite();
    assertEquals(await client.read(new Uint8Array(1)), null);
    const data = patternBytes(PARTS * 1000, 12);
    const [got] = await Promise.all([
      within(readUntilEnd(server), CLOSE_BOUND_MS, "the uplink's end"),
      writeSteadily(client, data, PARTS, GAP_MS),
    ]);
    assertEquals(digest(got), digest(data), `got ${got.length} of ${data.length} bytes`);
  } finally {
    closeAll(client, server);
  }
});
