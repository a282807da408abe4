/** TcpStream over a real socket: the adaptive read buffer. */
import { assert, assertEquals } from "./assert.ts";
import { digest, patternBytes } from "./helpers/net.ts";
import { MIN_READ_BUFFER, TcpStream } from "../lib/net/tcp.ts";
import { BufferPool, POOL_CLASSES } from "../lib/core/buffer_pool.ts";

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

Deno.test("TcpStream: close during a read pending on a bulk array still gives the own array back", async () => {
  const [a, b] = await tcpPair();
  const pool = new BufferPool();
  const stream = new TcpStream(a, 64 * 1024, pool);
  try {
    const sent = new Uint8Array(MIN_READ_BUFFER).fill(1);
    for (let o = 0; o < sent.length;) o += await b.write(sent.subarray(o));
    assertEquals((await stream.read())!.length, MIN_READ_BUFFER); // full: the next read is bulk
    const pending = stream.read(); // on a borrowed 64 KiB array, waiting
    stream.close();
    assertEquals(await pending, null);
    assertEquals(pool.stats().lent, 0);
  } finally {
    stream.close();
    b.close();
  }
});

Deno.test("TcpStream: a bufferSize beyond the pool's largest class reads in pooled arrays", async () => {
  const [a, b] = await tcpPair();
  const pool = new BufferPool();
  const stream = new TcpStream(a, 1024 * 1024, pool);
  try {
    const sent = new Uint8Array(MIN_READ_BUFFER + 1).fill(2);
    for (let o = 0; o < sent.length;) o += await b.write(sent.subarray(o));
    await stream.read();
    const bulk = (await stream.read())!;
    assertEquals(bulk.buffer.byteLength, POOL_CLASSES[POOL_CLASSES.length - 1]);
    stream.release();
    assertEquals(pool.stats().free, 1, "the bulk array went back to the pool");
  } finally {
    stream.close();
    b.close();
  }
});

Deno.test("TcpStream: detach hands the connection on open and gives the own array back", async () => {
  const [a, b] = await tcpPair();
  const pool = new BufferPool();
  const stream = new TcpStream(a, 64 * 1024, pool);
  const conn = stream.detach();
  try {
    assertEquals(pool.stats().lent, 0);
    assertEquals(await stream.read(), null, "the stream itself is done");
    await conn.write(new Uint8Array([9]));
    const got = new Uint8Array(1);
    assertEquals(await b.read(got), 1);
    assertEquals(got[0], 9);
  } finally {
    conn.close();
    b.close();
  }
});
