import { createHash } from "node:crypto";
import fc from "fast-check";
import { fuzzParams } from "./helpers/fuzz.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";
import { memoryPair, type MemoryStream } from "./helpers/memory_stream.ts";
import { concatBytes, toHex, utf8 } from "../lib/core/bytes.ts";
import type { Destination } from "../lib/core/destination.ts";
import type { ByteStream } from "../lib/core/stream.ts";
import { encodeFrame, type Frame, FrameDecoder, MuxProtocolError } from "../lib/mux/mod.ts";
import { FrameWriter } from "../lib/mux_io/frame_writer.ts";
import { MAX_SUB_CONNECTIONS_PER_CONNECTION } from "../lib/mux_io/mod.ts";
import { bufferPool } from "../lib/core/buffer_pool.ts";
import {
  type MuxClientOptions,
  MuxClientPool,
  MuxError,
  type MuxHandler,
  type MuxLimits,
  type MuxOutcome,
  serveMux,
  type Ticker,
} from "../lib/mux_io/mod.ts";

// ---------------------------------------------------------------------------------------------
// Helpers

const tcp = (port: number, address = "target.example"): Destination => ({
  network: "tcp",
  address,
  port,
});
const udp = (port: number, address = "10.0.0.1"): Destination => ({
  network: "udp",
  address,
  port,
});

/** Deterministic bytes: `n` of them from seed `seed` (xorshift32). */
function bytesFrom(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(b).digest());
}

/** Everything `s` sends until its end. */
async function readAll(s: ByteStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let c = await s.read(); c !== null; c = await s.read()) parts.push(c.slice());
  return concatBytes(...parts);
}

/** Writes `data` in pieces of up to `piece` bytes, then half-closes. */
async function writeAll(s: ByteStream, data: Uint8Array, piece = 20_000): Promise<void> {
  for (let o = 0; o < data.length; o += piece) await s.write(data.subarray(o, o + piece));
  await s.closeWrite();
}

/** A Ticker driven by hand. */
function manualTicker(): { ticker: Ticker; tick(): void; running(): number } {
  const live = new Set<() => void>();
  return {
    ticker: (onTick) => {
      live.add(onTick);
      return () => live.delete(onTick);
    },
    tick: () => [...live].forEach((f) => f()),
    running: () => live.size,
  };
}

/** A pool whose every underlying connection is an in-memory pair served by serveMux. */
function muxLoop(
  handler: MuxHandler,
  limits: Partial<MuxLimits> = {},
  options: MuxClientOptions = {},
) {
  const served: Promise<MuxOutcome>[] = [];
  const clock = manualTicker();
  let dials = 0;
  const pool = new MuxClientPool(() => {
    dials++;
    const [client, server] = memoryPair();
    served.push(serveMux(server, handler, limits));
    return Promise.resolve(client);
  }, { ticker: clock.ticker, ...options });
  return {
    pool,
    clock,
    dials: () => dials,
    /**
     * Ends the pool as its idle check does (abruptly if a sub-connection is still open) and
     * returns every served connection's outcome.
     */
    async shutdown(): Promise<MuxOutcome[]> {
      clock.tick();
      if (pool.connections > 0) pool.close();
      const outcomes = await Promise.all(served);
      pool.close();
      return outcomes;
    },
  };
}

/** Frames in and out of the raw client end of a pair whose server end runs serveMux. */
function rawClient(handler: MuxHandler, limits: Partial<MuxLimits> = {}) {
  const [client, server] = memoryPair();
  const served = serveMux(server, handler, limits);
  const decoder = new FrameDecoder();
  const pending: Frame[] = [];
  return {
    client,
    served,
    send: (...frames: Frame[]) => client.write(concatBytes(...frames.map(encodeFrame))),
    /** The next frame from the server, or null at its end. */
    async next(): Promise<Frame | null> {
      while (pending.length === 0) {
        const b = await client.read();
        if (b === null) return null;
        decoder.push(b);
        for (let f = decoder.next(); f; f = decoder.next()) {
          pending.push(f.data ? { ...f, data: f.data.slice() } : f);
        }
      }
      return pending.shift()!;
    },
  };
}

const newFrame = (id: number, destination: Destination, data?: Uint8Array): Frame =>
  data ? { id, status: "new", error: false, destination, data } : {
    id,
    status: "new",
    error: false,
    destination,
  };
const keep = (id: number, data: Uint8Array): Frame => ({ id, status: "keep", error: false, data });
const end = (id: number, error = false): Frame => ({ id, status: "end", error });

/** Echoes TCP sub-connections (half-closing after the client does) and UDP datagrams. */
const echo: MuxHandler = async (sub) => {
  if ("stream" in sub) {
    for (let c = await sub.stream.read(); c !== null; c = await sub.stream.read()) {
      await sub.stream.write(c);
    }
    await sub.stream.closeWrite();
  } else {
    for (let p = await sub.packets.read(); p !== null; p = await sub.packets.read()) {
      await sub.packets.write(p);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Client pool and server together

Deno.test("mux: 60 concurrent sub-connections carry checksummed data both ways at once", async () => {
  // The server sends port × 700 seeded bytes while it reads the upload, then the upload's SHA-256.
  const handler: MuxHandler = async (sub) => {
    if (!("stream" in sub)) return;
    const s = sub.stream;
    const download = (async () => {
      const body = bytesFrom(sub.destination.port, sub.destination.port * 700);
      for (let o = 0; o < body.length; o += 9000) await s.write(body.subarray(o, o + 9000));
    })();
    const upload = await readAll(s);
    await download;
    await s.write(sha256(upload));
    await s.closeWrite();
  };
  const loop = muxLoop(handler);
  try {
    const runs = Array.from({ length: 60 }, async (_, i) => {
      const port = 1 + i * 5;
      const s = await loop.pool.openStream(tcp(port));
      const upload = bytesFrom(1000 + i, (i % 7) * 23_456 + 1);
      const [got] = await Promise.all([readAll(s), writeAll(s, upload, 5000 + i * 97)]);
      s.close();
      const body = got.subarray(0, got.length - 32);
      assertEquals(
        toHex(sha256(body)),
        toHex(sha256(bytesFrom(port, port * 700))),
        `download ${i}`,
      );
      assertEquals(toHex(got.subarray(got.length - 32)), toHex(sha256(upload)), `upload ${i}`);
    });
    await Promise.all(runs);
    // Eight at once per connection (4.34's default concurrency): at least 60 / 8 connections.
    assert(loop.dials() >= 8, `dialed ${loop.dials()}`);
  } finally {
    const outcomes = await loop.shutdown();
    assertEquals(outcomes.map((o) => o.error), outcomes.map(() => undefined));
  }
});

Deno.test("mux: a refused and a reset sub-connection leave their siblings alone", async () => {
  const handler: MuxHandler = async (sub) => {
    if (!("stream" in sub)) return;
    if (sub.destination.port === 1) return sub.stream.close(); // the target refused
    if (sub.destination.port === 2) {
      await sub.stream.read(); // some bytes, then the target resets
      return sub.stream.close();
    }
    await echo(sub);
  };
  const loop = muxLoop(handler, {}, { concurrency: 16 });
  try {
    const refused = await loop.pool.openStream(tcp(1));
    const reset = await loop.pool.openStream(tcp(2));
    const siblings = await Promise.all([3, 4, 5, 6].map((p) => loop.pool.openStream(tcp(p))));
    assertEquals(loop.dials(), 1);
    await reset.write(utf8("hello"));
    const e1 = await assertRejects(() => readAll(refused), MuxError);
    const e2 = await assertRejects(() => readAll(reset), MuxError);
    assertEquals([e1.code, e2.code], ["peer-abort", "peer-abort"]);
    await assertRejects(() => refused.write(utf8("late")), MuxError);
    await Promise.all(siblings.map(async (s, i) => {
      const data = bytesFrom(i, 100_000);
      const [got] = await Promise.all([readAll(s), writeAll(s, data)]);
      assertEquals(toHex(sha256(got)), toHex(sha256(data)));
      s.close();
    }));
  } finally {
    const outcomes = await loop.shutdown();
    assertEquals(outcomes.map((o) => o.error), [undefined]);
  }
});

Deno.test("mux: half-close works in both directions", async () => {
  const handler: MuxHandler = async (sub) => {
    if (!("stream" in sub)) return;
    const s = sub.stream;
    if (sub.destination.port === 1) {
      // Answers only after the client has finished sending.
      const request = await readAll(s);
      await s.write(concatBytes(utf8("got "), request));
      await s.closeWrite();
    } else {
      // Greets and ends its side first, then still reads what the client sends.
      await s.write(utf8("banner"));
      await s.closeWrite();
      const rest = await readAll(s);
      assertEquals(new TextDecoder().decode(rest), "after your end");
    }
  };
  const loop = muxLoop(handler);
  try {
    const a = await loop.pool.openStream(tcp(1));
    await writeAll(a, utf8("request"));
    assertEquals(new TextDecoder().decode(await readAll(a)), "got request");
    a.close();

    const b = await loop.pool.openStream(tcp(2));
    // read(max) takes no more than asked, as a handshake reading through it needs.
    assertEquals(new TextDecoder().decode((await b.read(3))!), "ban");
    assertEquals(new TextDecoder().decode(await readAll(b)), "ner");
    await writeAll(b, utf8("after your end"));
    b.close();
  } finally {
    const outcomes = await loop.shutdown();
    assertEquals(outcomes.map((o) => o.error), [undefined]);
  }
});

Deno.test("mux: UDP sub-connections carry datagrams; oversize and foreign ones are dropped", async () => {
  const loop = muxLoop(echo);
  try {
    const flows = await Promise.all([53, 54, 55].map((p) => loop.pool.openPackets(udp(p))));
    for (const [i, f] of flows.entries()) {
      await f.write({ data: new Uint8Array(3000), peer: udp(53 + i) }); // over 2048: dropped
      await f.write({ data: utf8("elsewhere"), peer: udp(9) }); // not this flow's peer: dropped
      for (const n of [1, 2048, 700]) {
        await f.write({ data: bytesFrom(n + i, n), peer: udp(53 + i) });
      }
    }
    for (const [i, f] of flows.entries()) {
      for (const n of [1, 2048, 700]) {
        const d = await f.read();
        assertEquals(d?.peer, udp(53 + i));
        assertEquals(toHex(d!.data), toHex(bytesFrom(n + i, n)));
      }
      f.close();
    }
  } finally {
    const outcomes = await loop.shutdown();
    assertEquals(outcomes.map((o) => o.error), [undefined]);
  }
});

Deno.test("mux: concurrency, a total per connection (4.34's 128; 3 here), and the idle check as 4.34 has them", async () => {
  assertEquals(MAX_SUB_CONNECTIONS_PER_CONNECTION, 128);
  const loop = muxLoop(echo, {}, { concurrency: 2, maxPerConnection: 3 });
  try {
    const a = await loop.pool.openStream(tcp(1));
    const b = await loop.pool.openStream(tcp(2));
    assertEquals(loop.dials(), 1);
    const c = await loop.pool.openStream(tcp(3)); // two at once is the concurrency
    assertEquals(loop.dials(), 2);
    for (const s of [a, b, c]) {
      await writeAll(s, utf8("x"));
      assertEquals(await readAll(s), utf8("x"));
      s.close();
    }
    // The first connection has carried two of its three; one more fits, then it is spent.
    const d = await loop.pool.openStream(tcp(4));
    assertEquals(loop.dials(), 2);
    const e = await loop.pool.openStream(tcp(5));
    await loop.pool.openStream(tcp(6)).then((s) => s.close());
    assertEquals(loop.dials(), 2, "the second connection takes them");
    const f = await loop.pool.openStream(tcp(7));
    assertEquals(loop.dials(), 3, "both are spent");

    // A check while sub-connections live closes nothing; one after they end closes the idle ones.
    loop.clock.tick();
    assertEquals(loop.pool.connections, 3);
    for (const s of [d, e, f]) s.close();
    loop.clock.tick();
    assertEquals(loop.pool.connections, 0);
  } finally {
    const outcomes = await loop.shutdown();
    assertEquals(outcomes.map((o) => o.error), [undefined, undefined, undefined]);
  }
  assertEquals(loop.clock.running(), 0, "no idle check outlives its connection");
});

Deno.test("mux: an idle close ends the underlying stream cleanly and the next open redials", async () => {
  const loop = muxLoop(echo);
  try {
    const a = await loop.pool.openStream(tcp(1));
    await writeAll(a, utf8("one"));
    assertEquals(await readAll(a), utf8("one"));
    a.close();
    loop.clock.tick();
    assertEquals(loop.pool.connections, 0);
    const b = await loop.pool.openStream(tcp(2));
    assertEquals(loop.dials(), 2);
    await writeAll(b, utf8("two"));
    assertEquals(await readAll(b), utf8("two"));
    b.close();
  } finally {
    assertEquals((await loop.shutdown()).map((o) => o.error), [undefined, undefined]);
  }
});

Deno.test("mux: a failed dial fails the opens waiting for it, and is not kept", async () => {
  const clock = manualTicker();
  const pool = new MuxClientPool(() => Promise.reject(new Error("connection refused")), {
    ticker: clock.ticker,
  });
  const errors = await Promise.allSettled([pool.openStream(tcp(1)), pool.openStream(tcp(2))]);
  assertEquals(
    errors.map((e) => e.status === "rejected" && (e.reason as Error).message),
    ["connection refused", "connection refused"],
  );
  assertEquals(errors.map((e) => e.status), ["rejected", "rejected"]);
  assertEquals(pool.connections, 0);
  assertEquals(clock.running(), 0);
  pool.close();
});

Deno.test("mux: a slow sub-connection is ended after the stall bound; its siblings go on", async () => {
  let release = () => {};
  const released = new Promise<void>((r) => (release = r));
  let stuckCode = "";
  const handler: MuxHandler = async (sub) => {
    if (sub.destination.port === 1 && "stream" in sub) {
      await released; // reads nothing until the end of the test: a target that accepts nothing
      await sub.stream.read().catch((e) => (stuckCode = e.code));
      return;
    }
    await echo(sub);
  };
  const loop = muxLoop(handler, { bufferBytes: 16 * 1024, stallMs: 20 });
  try {
    const slow = await loop.pool.openStream(tcp(1));
    const fine = await loop.pool.openStream(tcp(2));
    // Far more than the slow one's buffer: the server's reader must give up on it.
    const flood = (async () => {
      try {
        for (let i = 0; i < 64; i++) await slow.write(new Uint8Array(8192));
      } catch {
        // Writes may fail once it is aborted.
      }
    })();
    const data = bytesFrom(7, 200_000);
    const [got] = await Promise.all([readAll(fine), writeAll(fine, data)]);
    assertEquals(toHex(sha256(got)), toHex(sha256(data)));
    const e = await assertRejects(() => readAll(slow), MuxError);
    assertEquals(e.code, "peer-abort");
    await flood;
    fine.close();
  } finally {
    release();
    assertEquals((await loop.shutdown()).map((o) => o.error), [undefined]);
  }
  assertEquals(stuckCode, "stalled");
});

// ---------------------------------------------------------------------------------------------
// Server against raw frames

Deno.test("mux server: a malformed frame closes that connection with one error, and only that one", async () => {
  const codes: string[] = [];
  const handler: MuxHandler = async (sub) => {
    if ("stream" in sub) await readAll(sub.stream).catch((e) => codes.push(e.code));
  };
  const bad = rawClient(handler);
  const good = rawClient(echo);
  try {
    await bad.send(newFrame(1, tcp(80), utf8("hi")));
    await good.send(newFrame(1, tcp(80), utf8("still here")));
    await bad.client.write(new Uint8Array([0, 4, 0, 1, 9, 0])); // status 9
    const outcome = await bad.served;
    assert(outcome.error instanceof MuxProtocolError);
    assertEquals((outcome.error as MuxProtocolError).code, "bad-status");
    assertEquals(await bad.next(), null, "the server ended the connection");
    assertEquals(codes, ["connection-lost"]);

    assertEquals(await good.next(), keep(1, utf8("still here")));
    await good.send(end(1));
    assertEquals(await good.next(), end(1));
  } finally {
    bad.client.close();
    good.client.close();
    await Promise.all([bad.served, good.served]);
  }
  assertEquals((await good.served).error, undefined);
});

Deno.test("mux server: a New for an open id closes the connection; after its End it may reopen", async () => {
  const results: string[] = [];
  const handler: MuxHandler = async (sub) => {
    if (!("stream" in sub)) return;
    try {
      results.push(
        `${sub.destination.port}: ${new TextDecoder().decode(await readAll(sub.stream))}`,
      );
      await sub.stream.write(utf8("x"));
      await sub.stream.closeWrite();
    } catch (e) {
      results.push(`${sub.destination.port}: ${(e as MuxError).code}`);
    }
  };
  const reuse = rawClient(handler);
  try {
    await reuse.send(newFrame(5, tcp(80)), newFrame(5, tcp(81)));
    const outcome = await reuse.served;
    assertEquals((outcome.error as MuxProtocolError).code, "id-reuse");
    assertEquals(results, ["80: connection-lost"]);
  } finally {
    reuse.client.close();
    await reuse.served;
  }

  results.length = 0;
  const reopen = rawClient(handler);
  try {
    // The peer ended 5, so 5 is free for it; our side of the old 5 is cut.
    await reopen.send(newFrame(5, tcp(80), utf8("a")), end(5), newFrame(5, tcp(81), utf8("b")));
    await reopen.send(end(5));
    assertEquals(await reopen.next(), keep(5, utf8("x")));
    assertEquals(await reopen.next(), end(5));
    await reopen.client.closeWrite();
    assertEquals(await reopen.next(), null);
    assertEquals((await reopen.served).error, undefined);
    assertEquals(results, ["80: peer-abort", "81: b"]);
  } finally {
    reopen.client.close();
  }
});

Deno.test("mux server: data for an unknown id is answered End, as 4.34 does", async () => {
  const raw = rawClient(echo);
  try {
    await raw.send(keep(7, utf8("who?")), { id: 8, status: "keep", error: false });
    assertEquals(await raw.next(), end(7));
    await raw.send(newFrame(9, tcp(80), utf8("fine")), end(9), end(12));
    assertEquals(await raw.next(), keep(9, utf8("fine")));
    assertEquals(await raw.next(), end(9));
    await raw.client.closeWrite();
    assertEquals(await raw.next(), null);
    assertEquals((await raw.served).error, undefined);
  } finally {
    raw.client.close();
  }
});

Deno.test("mux server: a New over the bound is refused with End + Error; the others run", async () => {
  let opened = 0;
  const handler: MuxHandler = async (sub) => {
    opened++;
    await echo(sub);
  };
  const raw = rawClient(handler, { maxSubConnections: 3 });
  try {
    await raw.send(
      newFrame(1, tcp(80)),
      newFrame(2, tcp(80)),
      newFrame(3, tcp(80)),
      newFrame(4, tcp(80), utf8("dropped")),
    );
    assertEquals(await raw.next(), end(4, true));
    assertEquals(opened, 3);
    await raw.send(end(1), end(2), end(3));
    const ends = [await raw.next(), await raw.next(), await raw.next()];
    assertEquals(ends.map((f) => f?.id).sort(), [1, 2, 3]);
    // Ids are free again: a fourth fits now.
    await raw.send(newFrame(4, tcp(80), utf8("now")), end(4));
    assertEquals(await raw.next(), keep(4, utf8("now")));
    assertEquals(await raw.next(), end(4));
    assertEquals(opened, 4);
  } finally {
    raw.client.close();
    assertEquals((await raw.served).error, undefined);
  }
});

Deno.test("mux server: KeepAlive, with or without data, disturbs nothing", async () => {
  const raw = rawClient(echo);
  try {
    await raw.send(
      { id: 0, status: "keepalive", error: false },
      newFrame(1, tcp(80), utf8("ab")),
      { id: 1, status: "keepalive", error: false, data: utf8("not for the target") },
      keep(1, utf8("cd")),
      { id: 77, status: "keepalive", error: false, data: utf8("") },
      end(1),
    );
    assertEquals(await raw.next(), keep(1, utf8("ab")));
    assertEquals(await raw.next(), keep(1, utf8("cd")));
    assertEquals(await raw.next(), end(1));
  } finally {
    raw.client.close();
    assertEquals((await raw.served).error, undefined);
  }
});

Deno.test("mux server: End + Error and a second End (4.34's refusal) abort the sub-connection", async () => {
  const seen = new Map<number, string>();
  const handler: MuxHandler = async (sub) => {
    if (!("stream" in sub)) return;
    try {
      await readAll(sub.stream);
      // The client has ended; keep answering until it refuses.
      for (;;) await sub.stream.write(utf8("more"));
    } catch (e) {
      seen.set(sub.id, (e as MuxError).code);
    }
  };
  const raw = rawClient(handler);
  try {
    await raw.send(newFrame(1, tcp(80), utf8("x")), end(1, true));
    await raw.send(newFrame(2, tcp(80), utf8("y")), end(2));
    assertEquals((await raw.next())?.id, 2);
    await raw.send(end(2)); // what a 4.34 client sends for Keep data on an id it closed
    for (let f = await raw.next(); f && seen.size < 2; f = await raw.next()) {
      // Drain the answers already queued.
    }
  } finally {
    raw.client.close();
    await raw.served;
  }
  assertEquals(seen.get(1), "peer-abort");
  assertEquals(seen.get(2), "peer-abort");
});

Deno.test("mux server: UDP per-frame peers (Xray's Keep form) are read, and answered with them", async () => {
  const raw = rawClient(echo);
  try {
    await raw.send(newFrame(1, udp(53), utf8("q1")));
    assertEquals(await raw.next(), keep(1, utf8("q1")));
    // An Xray client names another peer in a Keep; the answer names it back.
    await raw.send({ id: 1, status: "keep", error: false, destination: udp(54), data: utf8("q2") });
    assertEquals(await raw.next(), {
      id: 1,
      status: "keep",
      error: false,
      destination: udp(54),
      data: utf8("q2"),
    });
    await raw.send(end(1));
    assertEquals(await raw.next(), end(1));
  } finally {
    raw.client.close();
    assertEquals((await raw.served).error, undefined);
  }
});

Deno.test("mux server: the underlying connection ending cuts sub-connections the peer left open", async () => {
  const results: string[] = [];
  const handler: MuxHandler = async (sub) => {
    if (!("stream" in sub)) return;
    try {
      const got = await readAll(sub.stream);
      results.push(`${sub.id}: ${new TextDecoder().decode(got)}`);
      await sub.stream.write(utf8("bye"));
      await sub.stream.closeWrite();
    } catch (e) {
      results.push(`${sub.id}: ${(e as MuxError).code}`);
    }
  };
  const raw = rawClient(handler);
  try {
    await raw.send(newFrame(1, tcp(80), utf8("done")), end(1), newFrame(2, tcp(80), utf8("cut")));
    await raw.client.closeWrite();
    assertEquals(await raw.next(), keep(1, utf8("bye")), "the ended one still answers");
    assertEquals(await raw.next(), end(1));
    assertEquals(await raw.next(), null);
    assertEquals((await raw.served).error, undefined);
    assertEquals(results.sort(), ["1: done", "2: connection-lost"]);
  } finally {
    raw.client.close();
  }
});

Deno.test("mux server (property): any bytes end in a clean outcome or one MuxProtocolError", async () => {
  const valid = fc.constantFrom(
    encodeFrame(newFrame(1, tcp(80), utf8("a"))),
    encodeFrame(newFrame(2, udp(53), utf8("q"))),
    encodeFrame(keep(1, utf8("b"))),
    encodeFrame(end(1)),
    encodeFrame(end(2, true)),
    encodeFrame({ id: 3, status: "keepalive", error: false }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(valid, fc.uint8Array({ maxLength: 40 })), { maxLength: 12 }),
      async (pieces) => {
        const raw = rawClient(echo);
        const drained = (async () => {
          while (await raw.client.read() !== null) {
            // Whatever the server answers.
          }
        })();
        try {
          try {
            for (const p of pieces) await raw.client.write(p);
          } catch {
            // The server closed the connection on a bad frame: the rest cannot be sent.
          }
          await raw.client.closeWrite();
          const outcome = await raw.served;
          assert(
            outcome.error === undefined || outcome.error instanceof MuxProtocolError,
            `unexpected ${outcome.error}`,
          );
        } finally {
          raw.client.close();
          await drained;
        }
      },
    ),
    fuzzParams({ numRuns: 300 }),
  );
});

// ---------------------------------------------------------------------------------------------
// Client pool against a raw server

/** A pool whose dials land on raw server ends the test drives by hand. */
function rawServers(logger?: Logger) {
  const servers: { stream: MemoryStream; frames: Frame[]; decoder: FrameDecoder }[] = [];
  const clock = manualTicker();
  const pool = new MuxClientPool(() => {
    const [client, server] = memoryPair();
    servers.push({ stream: server, frames: [], decoder: new FrameDecoder() });
    return Promise.resolve(client);
  }, { ticker: clock.ticker, logger });
  /** The next frame server `i` receives, or null at the end. */
  const next = async (i: number): Promise<Frame | null> => {
    const s = servers[i];
    while (s.frames.length === 0) {
      const b = await s.stream.read();
      if (b === null) return null;
      s.decoder.push(b);
      for (let f = s.decoder.next(); f; f = s.decoder.next()) {
        s.frames.push(f.data ? { ...f, data: f.data.slice() } : f);
      }
    }
    return s.frames.shift()!;
  };
  return { pool, servers, clock, next };
}

Deno.test("mux client: frames on the wire are 4.34's: New without data, Keep, End; ids from 1", async () => {
  const raw = rawServers();
  try {
    const a = await raw.pool.openStream(tcp(443, "mux.example"));
    const b = await raw.pool.openStream(tcp(8080, "10.9.8.7"));
    await a.write(new Uint8Array(20_000));
    await b.closeWrite();
    assertEquals(await raw.next(0), newFrame(1, tcp(443, "mux.example")));
    assertEquals(await raw.next(0), newFrame(2, tcp(8080, "10.9.8.7")));
    // 20 000 bytes go out in frames of at most 8 KiB, as 4.34 splits them.
    for (const n of [8192, 8192, 3616]) {
      assertEquals(await raw.next(0), keep(1, new Uint8Array(n)));
    }
    assertEquals(await raw.next(0), end(2));
    // The server answers and ends; so does the client.
    await raw.servers[0].stream.write(
      concatBytes(encodeFrame(keep(2, utf8("ok"))), encodeFrame(end(2))),
    );
    assertEquals(await readAll(b), utf8("ok"));
    a.close();
    assertEquals(await raw.next(0), end(1, true), "closing before the end aborts it");
    // Idle at the next check: the client ends its side, and closes once the server ends too.
    raw.clock.tick();
    assertEquals(await raw.next(0), null);
    await raw.servers[0].stream.closeWrite();
  } finally {
    raw.pool.close();
  }
});

Deno.test("mux client: a destination that cannot be encoded fails its open only", async () => {
  const raw = rawServers();
  try {
    await assertRejects(() => raw.pool.openStream(tcp(80, "a".repeat(256))), RangeError);
    const ok = await raw.pool.openStream(tcp(80, "b.example"));
    assertEquals(await raw.next(0), newFrame(1, tcp(80, "b.example")));
    ok.close();
  } finally {
    raw.pool.close();
  }
});

Deno.test("mux client: a bad frame from the server ends that connection once; new opens redial", async () => {
  const lines: string[] = [];
  const raw = rawServers(new Logger("info", memorySink(lines), null));
  try {
    const a = await raw.pool.openStream(tcp(80));
    const b = await raw.pool.openStream(tcp(81));
    await raw.servers[0].stream.write(concatBytes(
      encodeFrame(keep(1, utf8("fine"))),
      new Uint8Array([0x02, 0x01]), // metadata length 513
    ));
    assertEquals(await a.read(), utf8("fine"));
    const e = await assertRejects(() => a.read(), MuxError);
    assertEquals(e.code, "connection-lost");
    assert(e.cause instanceof MuxProtocolError && e.cause.code === "bad-length");
    await assertRejects(() => b.write(utf8("x")), MuxError);
    assertEquals(await raw.next(0), newFrame(1, tcp(80)));
    assertEquals(await raw.next(0), newFrame(2, tcp(81)));
    assertEquals(await raw.next(0), null, "the client closed it");
    const c = await raw.pool.openStream(tcp(82));
    assertEquals(raw.servers.length, 2);
    assertEquals(await raw.next(1), newFrame(1, tcp(82)));
    c.close();
    assertEquals(lines.length, 1, lines.join("\n"));
    assertStringIncludes(lines[0], "metadata length 513");
  } finally {
    raw.pool.close();
  }
});

Deno.test("memory pair: reads see a reused buffer, writes wait on the high-water mark", async () => {
  const [a, b]: MemoryStream[] = memoryPair(4);
  let second = false;
  await a.write(utf8("abcd"));
  const w = a.write(utf8("efgh")).then(() => (second = true));
  await Promise.resolve();
  assertEquals(second, false);
  assertEquals(await b.read(3), utf8("abc"));
  assertEquals(await b.read(), utf8("d"));
  await w;
  const next = await b.read();
  assertEquals(next, utf8("efgh"));
  await a.closeWrite();
  assertEquals(await b.read(), null);
  a.close();
  b.close();
});

Deno.test("mux frame writer: batches go out in order from a borrowed array, given back after each write", async () => {
  const [a, b] = memoryPair();
  const lentBefore = bufferPool.stats().lent;
  const writer = new FrameWriter(a, () => {});
  const frames: Frame[] = Array.from({ length: 5 }, (_, i) => ({
    id: i + 1,
    status: "keep" as const,
    error: false,
    data: new Uint8Array(3000).fill(i),
  }));
  const expected = concatBytes(...frames.map(encodeFrame));
  const reading = (async () => {
    const got: Uint8Array[] = [];
    for (let n = 0; n < expected.length;) {
      const chunk = (await b.read())!;
      got.push(chunk.slice());
      n += chunk.length;
    }
    return concatBytes(...got);
  })();
  await Promise.all(frames.map((f) => writer.send([f])));
  assertEquals(toHex(await reading), toHex(expected));
  assertEquals(bufferPool.stats().lent, lentBefore, "no batch array kept between writes");
  a.close();
  b.close();
});
