/** TcpStream over a real socket: the adaptive read buffer. */
import { assert, assertEquals } from "./assert.ts";
import { digest, patternBytes } from "./helpers/net.ts";
import { MIN_READ_BUFFER, TcpStream } from "../lib/net/tcp.ts";
import { ReusableBuffer } from "../lib/core/reusable_buffer.ts";

Deno.test("TcpStream: reads start small, grow to the limit under bulk, bytes intact", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const data = patternBytes(1 << 20);
  let client: Deno.Conn | undefined, server: Deno.Conn | undefined;
  try {
    client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    server = await listener.accept();
    const peer = server;
    const sending = (async () => {
      for (let o = 0; o < data.length;) o += await peer.write(data.subarray(o));
      await peer.closeWrite();
    })();
    const stream = new TcpStream(client, 32 * 1024);
    const sizes: number[] = [];
    const got = new Uint8Array(data.length);
    let filled = 0;
    for (let b = await stream.read(); b !== null; b = await stream.read()) {
      sizes.push(b.length);
      got.set(b, filled);
      filled += b.length;
    }
    await sending;
    assertEquals(filled, data.length);
    assertEquals(digest(got), digest(data));
    assert(sizes[0] <= MIN_READ_BUFFER, `first read ${sizes[0]} exceeds the initial buffer`);
    assertEquals(Math.max(...sizes), 32 * 1024, "bulk reads reach the configured limit");
  } finally {
    client?.close();
    server?.close();
    listener.close();
  }
});

Deno.test("ReusableBuffer: grows to the ask, reuses its array, shrinks after a run of small asks", () => {
  const r = new ReusableBuffer();
  const big = r.get(65536);
  assertEquals(big.length, 65536);
  const again = r.get(40000);
  assertEquals(again.length, 40000);
  assert(again.buffer === big.buffer, "a smaller ask reuses the array");
  // Three small asks keep the big array; the fourth in a row replaces it with a fitting one.
  for (let i = 0; i < 3; i++) assert(r.get(1000).buffer === big.buffer, `small ask ${i + 1}`);
  const fitted = r.get(1000);
  assert(fitted.buffer !== big.buffer && fitted.buffer.byteLength === 1000, "shrunk to fit");
  // A large ask in between resets the run.
  r.get(100_000);
  for (let i = 0; i < 3; i++) r.get(10);
  r.get(50_000);
  assertEquals(r.get(10).buffer.byteLength, 100_000, "the run of small asks started over");
});
