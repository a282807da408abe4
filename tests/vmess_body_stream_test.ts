/** VmessBodyStream over real sockets: order under pipelined writes, and a dead peer's error. */
import { assert, assertEquals } from "./assert.ts";
import { digest, patternBytes } from "./helpers/net.ts";
import { randomBytes } from "../lib/core/bytes.ts";
import { TcpStream } from "../lib/net/tcp.ts";
import { BodyReader, BodyWriter, Option } from "../lib/vmess/mod.ts";
import { VmessBodyStream } from "../lib/vmess_io/body_stream.ts";
import type { ByteStream } from "../lib/core/stream.ts";
import { ProtocolError } from "../lib/core/errors.ts";

const OPTIONS = Option.ChunkStream | Option.ChunkMasking | Option.GlobalPadding;

/** A connected TCP pair on loopback; both ends close with the returned disposer. */
async function tcpPair(): Promise<[Deno.TcpConn, Deno.TcpConn, () => void]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const [a, b] = await Promise.all([
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
      listener.accept(),
    ]);
    const close = () => {
      for (const c of [a, b]) {
        try {
          c.close();
        } catch {
          // Already closed by the test.
        }
      }
    };
    return [a, b, close];
  } finally {
    listener.close();
  }
}

Deno.test("VmessBodyStream: writes reusing their buffers arrive whole and in order", async () => {
  const [a, b, close] = await tcpPair();
  try {
    const key = randomBytes(16), iv = randomBytes(16);
    const params = { security: "chacha20-poly1305" as const, options: OPTIONS, key, iv };
    const sender = new VmessBodyStream({
      transport: new TcpStream(a),
      writer: new BodyWriter({ ...params, packet: false }),
      reader: new BodyReader({ ...params, packet: false }),
    });
    const receiver = new VmessBodyStream({
      transport: new TcpStream(b),
      writer: new BodyWriter({ ...params, packet: false }),
      reader: new BodyReader({ ...params, packet: false }),
    });
    const data = patternBytes(3 << 20);
    // One source buffer, overwritten after each write resolves: what was sent must not change.
    const source = new Uint8Array(70_000);
    const sending = (async () => {
      for (let o = 0; o < data.length; o += source.length) {
        const piece = data.subarray(o, o + source.length);
        source.set(piece);
        await sender.write(source.subarray(0, piece.length));
        source.fill(0xee);
      }
      await sender.closeWrite();
    })();
    const got = new Uint8Array(data.length);
    let n = 0;
    for (let p = await receiver.read(); p !== null; p = await receiver.read()) {
      got.set(p, n);
      n += p.length;
    }
    await sending;
    assertEquals(n, data.length);
    assertEquals(digest(got), digest(data));
  } finally {
    close();
  }
});

Deno.test("VmessBodyStream: a peer that is gone fails a later write or the close, never unhandled", async () => {
  const [a, b, close] = await tcpPair();
  try {
    const key = randomBytes(16), iv = randomBytes(16);
    const params = { security: "aes-128-gcm" as const, options: OPTIONS, key, iv, packet: false };
    const stream = new VmessBodyStream({
      transport: new TcpStream(a),
      writer: new BodyWriter(params),
      reader: new BodyReader(params),
    });
    b.close(); // the peer goes away without reading: our writes soon meet a reset
    let failure: unknown = null;
    try {
      for (let i = 0; i < 200; i++) await stream.write(randomBytes(64 * 1024));
      await stream.closeWrite();
    } catch (e) {
      failure = e;
    }
    assert(failure instanceof Error, "a write or the close reports the dead peer");
    stream.close();
  } finally {
    close();
  }
});

/** A transport whose writes complete only when the test says so; bytes are taken at that time. */
class GatedTransport implements ByteStream {
  readonly sent: Uint8Array[] = [];
  readonly #pending: { data: Uint8Array; done: () => void }[] = [];
  #arrived: (() => void) | null = null;

  read(): Promise<Uint8Array | null> {
    return Promise.resolve(null);
  }
  write(data: Uint8Array): Promise<void> {
    return new Promise((done) => {
      this.#pending.push({ data, done });
      this.#arrived?.();
    });
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}

  /** Completes the oldest write once it has been issued, copying its bytes only now. */
  async release(): Promise<void> {
    while (this.#pending.length === 0) {
      await new Promise<void>((r) => this.#arrived = r);
    }
    const w = this.#pending.shift()!;
    this.sent.push(w.data.slice());
    w.done();
  }
}

Deno.test("VmessBodyStream: a write still on the socket keeps its bytes while the next is sealed", async () => {
  const key = randomBytes(16), iv = randomBytes(16);
  const params = {
    security: "chacha20-poly1305" as const,
    options: OPTIONS,
    key,
    iv,
    packet: false,
  };
  const transport = new GatedTransport();
  const stream = new VmessBodyStream({
    transport,
    writer: new BodyWriter(params),
    reader: new BodyReader(params),
  });
  const pieces = [1, 2, 3, 4].map((i) => patternBytes(40_000, i));
  for (const piece of pieces) {
    const writing = stream.write(piece);
    // The first write returns at once; each later one waits for the write before it, which is
    // released only now, after the later one was sealed into the stream's other buffer.
    if (piece !== pieces[0]) await transport.release();
    await writing;
  }
  const closing = stream.closeWrite();
  await transport.release(); // the last data write
  await transport.release(); // the terminator
  await closing;
  const reader = new BodyReader(params);
  for (const s of transport.sent) reader.push(s);
  const got: Uint8Array[] = [];
  for (let p = reader.next(); p !== null; p = reader.next()) got.push(p.slice());
  assert(reader.finished);
  const sentLength = got.reduce((n, p) => n + p.length, 0);
  assertEquals(sentLength, 160_000);
  const all = new Uint8Array(sentLength);
  got.reduce((o, p) => (all.set(p, o), o + p.length), 0);
  const want = new Uint8Array(160_000);
  pieces.forEach((p, i) => want.set(p, i * 40_000));
  assertEquals(digest(all), digest(want));
});

Deno.test("VmessBodyStream: a raw body's write (security zero) holds the caller until it is sent", async () => {
  const key = randomBytes(16), iv = randomBytes(16);
  // zero clears S and M, so P (which needs M) must not be set either.
  const options = Option.ChunkStream | Option.ChunkMasking;
  const params = { security: "zero" as const, options, key, iv, packet: false };
  const transport = new GatedTransport();
  const stream = new VmessBodyStream({
    transport,
    writer: new BodyWriter(params),
    reader: new BodyReader(params),
  });
  const source = patternBytes(1000, 7), original = source.slice();
  let returned = false;
  const writing = stream.write(source).then(() => returned = true);
  for (let i = 0; i < 20; i++) await Promise.resolve(); // let a premature return happen
  assert(!returned, "the caller's buffer is the wire: write() must wait for the transport");
  await transport.release();
  await writing;
  assertEquals(digest(transport.sent[0]), digest(original));
});

/** A transport that hands out `wire` in the given pieces, then EOF; writes are dropped. */
function replay(pieces: Uint8Array[]): ByteStream {
  return {
    read: () => Promise.resolve(pieces.shift() ?? null),
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close() {},
  };
}

Deno.test("VmessBodyStream: closed between chunks is the end of the body, inside one an error", async () => {
  const key = randomBytes(16), iv = randomBytes(16);
  const params = { security: "aes-128-gcm" as const, options: OPTIONS, key, iv, packet: false };
  const writer = new BodyWriter(params);
  // Two chunks and no terminator: what a client that closes without closeWrite() sends.
  const wire = [
    writer.write(patternBytes(100, 1)).slice(),
    writer.write(patternBytes(50, 2)).slice(),
  ];
  const read = async (pieces: Uint8Array[]) => {
    const s = new VmessBodyStream({
      transport: replay(pieces),
      writer,
      reader: new BodyReader(params),
    });
    let n = 0;
    for (let p = await s.read(); p !== null; p = await s.read()) n += p.length;
    return n;
  };
  assertEquals(await read([wire[0], wire[1]]), 150);
  const cut = wire[1].subarray(0, wire[1].length - 3);
  const e = await read([wire[0], cut]).then(() => null, (e: Error) => e);
  assert(e instanceof ProtocolError && e.code === "truncated", String(e));
  assertEquals(e.message, "VMess connection ended inside a chunk");
});
