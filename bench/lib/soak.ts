/**
 * The soak: many tunnels at once through a client → VMess → server pair, round after round, every
 * byte checked; after each round the descriptors of both proxies must come back to where they
 * started. Memory: the RSS of both proxies is sampled while a round runs (its highest is the load's
 * peak), read again with every tunnel of the round open, and once a second after the last round.
 */
import { clientConfig, serverConfig } from "./configs.ts";
import { freePort, type Impl, rssKiB, start } from "./procs.ts";

/** What one soak does. */
export interface SoakPlan {
  /** Client and server implementation (the same for both). */
  readonly impl: Impl;
  /** Tunnels open at once in each round. */
  readonly tunnels: number;
  /** Rounds. */
  readonly rounds: number;
  /** Bytes each tunnel downloads (and uploads a tenth of). */
  readonly bytes: number;
  /** VMess security. */
  readonly security: string;
  /** Seconds to wait idle after the last round, reading memory once a second. */
  readonly idleSeconds: number;
}

/** RSS of the client and the server, KiB. */
export interface RssPair {
  readonly client: number;
  readonly server: number;
}

/** One round's findings. */
export interface SoakRound {
  /** Tunnels whose bytes came back wrong or short (must be 0). */
  readonly failed: number;
  /** RSS of the client and server with every tunnel open (their transfers done), KiB. */
  readonly peakKiB: RssPair;
  /** The highest RSS of each sampled (every 50 ms) while the round ran, KiB. */
  readonly maxKiB: RssPair;
  /** Milliseconds until both proxies were back to their starting descriptor count. */
  readonly settleMs: number;
}

/** A whole soak's findings. */
export interface SoakResult {
  /** RSS before the first round, KiB. */
  readonly baselineKiB: RssPair;
  /** Each round. */
  readonly rounds: readonly SoakRound[];
  /** RSS after the idle wait, KiB. */
  readonly afterKiB: RssPair;
  /** RSS 1, 2, … idleSeconds seconds after the last round's tunnels closed, KiB. */
  readonly afterTimeline: readonly RssPair[];
  /** Whether every byte was right and descriptors came back after every round. */
  readonly ok: boolean;
}

/** Open descriptors of a process (Linux). */
export async function openDescriptors(pid: number): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) n++;
  return n;
}

// The byte at offset i of a tunnel's stream: cheap to check, different per tunnel.
function patternByte(seed: number, i: number): number {
  return (seed * 131 + i * 7 + (i >> 8)) & 0xff;
}

/**
 * A target for the tunnels: reads an 8-byte request (seed, length), then sends `length` pattern
 * bytes while reading (and checking) the upload, and closes after the client does.
 */
class DownloadServer implements AsyncDisposable {
  readonly listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;

  constructor(readonly uploadBytes: number) {
    this.#loop = this.#accept();
  }

  get port(): number {
    return this.listener.addr.port;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.listener) {
        this.#conns.add(conn);
        this.#serve(conn).finally(() => {
          this.#conns.delete(conn);
          try {
            conn.close();
          } catch {
            // Closed by dispose.
          }
        });
      }
    } catch {
      // Listener closed.
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    try {
      const head = new Uint8Array(8);
      for (let o = 0; o < 8;) {
        const n = await conn.read(head.subarray(o));
        if (n === null) return;
        o += n;
      }
      const view = new DataView(head.buffer);
      const seed = view.getUint32(0), length = view.getUint32(4);
      const buf = new Uint8Array(16384);
      for (let sent = 0; sent < length;) {
        const n = Math.min(buf.length, length - sent);
        for (let i = 0; i < n; i++) buf[i] = patternByte(seed, sent + i);
        for (let o = 0; o < n;) o += await conn.write(buf.subarray(o, n));
        sent += n;
      }
      await conn.closeWrite();
      while (await conn.read(buf) !== null) { /* the upload; checked by byte count only */ }
    } catch {
      // The tunnel broke: the client side reports it.
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
  }
}

/** One tunnel: request, upload, read and check the download; resolves with it still open. */
async function tunnel(port: number, seed: number, bytes: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setUint32(0, seed);
    new DataView(head.buffer).setUint32(4, bytes);
    await conn.write(head);
    const upload = new Uint8Array(Math.floor(bytes / 10));
    for (let o = 0; o < upload.length;) o += await conn.write(upload.subarray(o));
    const buf = new Uint8Array(65536);
    let got = 0;
    while (got < bytes) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`tunnel ${seed}: ended after ${got} of ${bytes} bytes`);
      for (let i = 0; i < n; i++) {
        if (buf[i] !== patternByte(seed, got + i)) {
          throw new Error(`tunnel ${seed}: byte ${got + i} is wrong`);
        }
      }
      got += n;
    }
    return conn;
  } catch (e) {
    conn.close();
    throw e;
  }
}

/** Polls until `pid` holds at most `count` descriptors; the time it took, or null after 30 s. */
async function settle(pids: readonly number[], counts: readonly number[]): Promise<number | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < 30_000) {
    const now = await Promise.all(pids.map(openDescriptors));
    if (now.every((n, i) => n <= counts[i])) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

/** Samples the RSS of two processes every 50 ms until stopped; the highest of each. */
function rssSampler(pids: readonly [number, number]): { stop(): Promise<RssPair> } {
  const max = [0, 0];
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = await Promise.all(pids.map((p) => rssKiB(p).catch(() => 0)));
      for (let i = 0; i < 2; i++) max[i] = Math.max(max[i], now[i]);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { client: max[0], server: max[1] };
    },
  };
}

/** The part of a process's growth since `base` that is gone again at `now`, percent. */
export function returnedPercent(base: number, peak: number, now: number): number {
  return peak > base ? Math.round(100 * (peak - now) / (peak - base)) : 100;
}

/** Runs a soak; `log` gets one line per round. */
export async function soak(plan: SoakPlan, log: (line: string) => void): Promise<SoakResult> {
  await using target = new DownloadServer(Math.floor(plan.bytes / 10));
  const sp = freePort(), entry = freePort();
  await using server = await start(plan.impl, serverConfig(sp), sp);
  await using client = await start(
    plan.impl,
    clientConfig(sp, plan.security, [[entry, target.port]]),
    entry,
  );
  // Warm up with one tunnel, so the baseline includes what any first connection allocates.
  (await tunnel(entry, 0, 1024)).close();
  await settle([client.pid, server.pid], [Infinity, Infinity]);
  const pids = [client.pid, server.pid];
  const fdBase = await Promise.all(pids.map(openDescriptors));
  const baselineKiB = { client: await rssKiB(client.pid), server: await rssKiB(server.pid) };
  const rounds: SoakRound[] = [];
  let ok = true;
  for (let r = 0; r < plan.rounds; r++) {
    const sampler = rssSampler([client.pid, server.pid]);
    const results = await Promise.allSettled(
      Array.from(
        { length: plan.tunnels },
        (_, i) => tunnel(entry, r * plan.tunnels + i + 1, plan.bytes),
      ),
    );
    const peakKiB = { client: await rssKiB(client.pid), server: await rssKiB(server.pid) };
    const sampled = await sampler.stop();
    const maxKiB = {
      client: Math.max(sampled.client, peakKiB.client),
      server: Math.max(sampled.server, peakKiB.server),
    };
    let failed = 0;
    for (const res of results) {
      if (res.status === "fulfilled") res.value.close();
      else failed++;
    }
    const settleMs = await settle(pids, fdBase.map((n) => n + 2));
    rounds.push({ failed, peakKiB, maxKiB, settleMs: settleMs ?? Infinity });
    if (failed > 0 || settleMs === null) ok = false;
    log(
      `round ${r + 1}: ${
        plan.tunnels - failed
      }/${plan.tunnels} tunnels intact; RSS with all open ` +
        `${peakKiB.client} / ${peakKiB.server} KiB (client / server; at most ${maxKiB.client} / ` +
        `${maxKiB.server} while running); descriptors back in ` +
        `${settleMs === null ? "never (30 s)" : `${Math.round(settleMs)} ms`}`,
    );
  }
  const afterTimeline: RssPair[] = [];
  for (let t = 0; t < plan.idleSeconds; t++) {
    await new Promise((r) => setTimeout(r, 1000));
    afterTimeline.push({ client: await rssKiB(client.pid), server: await rssKiB(server.pid) });
  }
  const afterKiB = { client: await rssKiB(client.pid), server: await rssKiB(server.pid) };
  return { baselineKiB, rounds, afterKiB, afterTimeline, ok };
}
