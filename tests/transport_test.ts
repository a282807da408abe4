/** TcpStream over a real socket: the adaptive read buffer. */
import { assert, assertEquals } from "./assert.ts";
import { digest, patternBytes } from "./helpers/net.ts";
import { MIN_READ_BUFFER, TcpStream } from "../lib/net/tcp.ts";
import { ReusableBuffer } from "../lib/core/reusable_buffer.ts";
import { BufferPool } from "../lib/core/buffer_pool.ts";

/** A connected TCP pair on loopback. */
async function tcpPair(): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    return await Promise.all([
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
      listener.accept(),
    ]);
  } finally {
    listener.close();
  }
}

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

Deno.test("TcpStream: after a bulk transfer, a connection waiting for data holds only its small array", async () => {
  const [a, b] = await tcpPair();
  const pool = new BufferPool();
  const stream = new TcpStream(a, 64 * 1024, pool);
  try {
    const data = patternBytes(1 << 20);
    const sending = (async () => {
      for (let o = 0; o < data.length;) o += await b.write(data.subarray(o));
    })();
    const sizes: number[] = [];
    for (let got = 0; got < data.length;) {
      const bytes = (await stream.read())!;
      sizes.push(bytes.length);
      got += bytes.length;
    }
    await sending;
    assertEquals(Math.max(...sizes), 64 * 1024, "bulk reads borrowed large arrays");
    // The sender is quiet now: the next read waits on the stream's own array, the large one is
    // back in the pool.
    const waiting = stream.read();
    await new Promise((r) => setTimeout(r, 0));
    assertEquals(pool.stats().lent, 1, "only the own array is lent while waiting");
    b.closeWrite();
    assertEquals(await waiting, null);
    stream.close();
    assertEquals(pool.stats().lent, 0, "the own array goes back at close");
  } finally {
    stream.close();
    b.close();
  }
});

Deno.test("TcpStream: close keeps the array behind bytes still in use out of the pool", async () => {
  const [a, b] = await tcpPair();
  const pool = new BufferPool();
  const stream = new TcpStream(a, 64 * 1024, pool);
  try {
    // All queued on loopback once written: the first read fills the own array, so the second
    // borrows a bulk one.
    const sent = new Uint8Array(MIN_READ_BUFFER + 1000).fill(7);
    for (let o = 0; o < sent.length;) o += await b.write(sent.subarray(o));
    assertEquals((await stream.read())!.length, MIN_READ_BUFFER);
    const view = (await stream.read())!;
    assertEquals(view.buffer.byteLength, 64 * 1024, "a borrowed bulk array");
    stream.close(); // while a relay could still be writing `view` on
    for (let i = 0; i < 4; i++) {
      assert(pool.borrow(64 * 1024).buffer !== view.buffer, "lent to another borrower");
    }
    assertEquals(view[999], 7, "the bytes in use are untouched");
  } finally {
    stream.close();
    b.close();
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
