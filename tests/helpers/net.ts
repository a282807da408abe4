/** Sockets for tests: free ports, readiness polling, an echo server, bulk transfers. */
import { createHash } from "node:crypto";

/** A port the OS just handed out on 127.0.0.1 (for programs that cannot take port 0). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Resolves once 127.0.0.1:port accepts a TCP connection; rejects after `attempts` tries. */
export async function waitForPort(port: number, attempts = 400): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      // Not listening yet: yield to the event loop through a short timer and try again.
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`port ${port} never accepted a connection`);
}

/** A TCP echo server: echoes every byte, and half-closes after the client half-closes. */
export class EchoServer implements AsyncDisposable {
  readonly listener: Deno.TcpListener;
  readonly #tasks = new Set<Promise<void>>();
  readonly #conns = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;

  constructor() {
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#loop = this.#accept();
  }

  /** The bound port. */
  get port(): number {
    return this.listener.addr.port;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.listener) {
        this.#conns.add(conn);
        const t = this.#echo(conn).finally(() => {
          this.#conns.delete(conn);
          this.#tasks.delete(t);
        });
        this.#tasks.add(t);
      }
    } catch {
      // Listener closed.
    }
  }

  async #echo(conn: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        let o = 0;
        while (o < n) o += await conn.write(buf.subarray(o, n));
      }
      await conn.closeWrite();
    } catch {
      // Peer reset: nothing to echo.
    } finally {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
    await this.#loop;
    await Promise.all(this.#tasks);
  }
}

/** Deterministic pseudo-random bytes (xorshift), so a failure can be reproduced. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** SHA-256 hex of bytes (to compare large transfers). */
export function digest(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/**
 * Sends `data` on `conn` while reading; after sending, half-closes and reads to EOF.
 * Returns everything read. The write side and read side run concurrently (no deadlock on large data).
 */
export async function sendAndReceive(conn: Deno.Conn, data: Uint8Array): Promise<Uint8Array> {
  const writer = (async () => {
    let o = 0;
    while (o < data.length) {
      o += await conn.write(data.subarray(o, Math.min(data.length, o + 65536)));
    }
    await conn.closeWrite();
  })();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  await writer;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** A UDP echo server (127.0.0.1 and a port from the OS unless told otherwise). */
export class UdpEchoServer implements AsyncDisposable {
  readonly socket: Deno.DatagramConn;
  readonly #loop: Promise<void>;

  /** Binds hostname:port; every reply is `prefix` followed by the datagram it answers. */
  constructor(
    { hostname = "127.0.0.1", port = 0, prefix = new Uint8Array() }: {
      hostname?: string;
      port?: number;
      prefix?: Uint8Array;
    } = {},
  ) {
    const socket = Deno.listenDatagram({ transport: "udp", hostname, port });
    this.socket = socket;
    this.#loop = (async () => {
      try {
        for (;;) {
          const [data, addr] = await socket.receive();
          const reply = new Uint8Array(prefix.length + data.length);
          reply.set(prefix);
          reply.set(data, prefix.length);
          await socket.send(reply, addr);
        }
      } catch {
        // Closed.
      }
    })();
  }

  /** The bound port. */
  get port(): number {
    return (this.socket.addr as Deno.NetAddr).port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.socket.close();
    await this.#loop;
  }
}

/**
 * Sends each datagram to 127.0.0.1:port from one socket and waits for its echo; resends a
 * datagram (up to `tries` times) when no echo came, since UDP may drop. Returns the echoes.
 */
export async function udpRoundTrips(
  port: number,
  datagrams: Uint8Array[],
  tries = 20,
): Promise<Uint8Array[]> {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const out: Uint8Array[] = [];
  // One receive outstanding at a time; a retransmission does not start another.
  const receive = () => s.receive().then(([b]) => b);
  let pending = receive();
  pending.catch(() => {});
  try {
    for (const d of datagrams) {
      let got: Uint8Array | null = null;
      for (let t = 0; t < tries && got === null; t++) {
        await s.send(d, { transport: "udp", hostname: "127.0.0.1", port });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<null>((r) => timer = setTimeout(() => r(null), 250));
        got = await Promise.race([pending, timeout]);
        clearTimeout(timer);
        if (got !== null) {
          pending = receive();
          pending.catch(() => {});
        }
      }
      if (got === null) throw new Error(`no echo for a ${d.length}-byte datagram`);
      out.push(got);
    }
  } finally {
    s.close();
  }
  return out;
}

/** A TCP server that writes `greeting` to every connection it accepts, then closes it. */
export class GreetingServer implements AsyncDisposable {
  readonly listener: Deno.TcpListener;
  readonly #loop: Promise<void>;
  readonly #tasks = new Set<Promise<void>>();

  /** Listens on hostname:port (port 0: one the OS picks). */
  constructor(greeting: string, hostname = "127.0.0.1", port = 0) {
    const listener = Deno.listen({ hostname, port });
    this.listener = listener;
    const bytes = new TextEncoder().encode(greeting);
    this.#loop = (async () => {
      try {
        for await (const conn of listener) {
          // One write of a few bytes, then FIN; a peer that already left only costs the error.
          const t: Promise<void> = conn.write(bytes).then(() => {}, () => {}).finally(() => {
            conn.close();
            this.#tasks.delete(t);
          });
          this.#tasks.add(t);
        }
      } catch {
        // Listener closed.
      }
    })();
  }

  /** The bound port. */
  get port(): number {
    return this.listener.addr.port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.listener.close();
    } catch {
      // Already closed.
    }
    await this.#loop;
    await Promise.all(this.#tasks);
  }
}

/**
 * Connects to 127.0.0.1:port, half-closes at once and returns all text read until the
 * connection ends ("" when the proxy closed it without data; a reset also ends the text).
 */
export async function readGreeting(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunks: string[] = [];
  const dec = new TextDecoder();
  try {
    await conn.closeWrite();
    const buf = new Uint8Array(1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(dec.decode(buf.subarray(0, n), { stream: true }));
    }
  } catch {
    // Reset by the peer: what came before it is the answer.
  } finally {
    conn.close();
  }
  return chunks.join("");
}

/** Resolves like `p`, or rejects with "`what` did not happen within `ms` ms". */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
