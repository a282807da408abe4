/** The measurements: throughput (iperf3), echo latency, connection rate, idle-connection memory. */
import { rssKiB } from "./procs.ts";

/** iperf3 through the tunnel entry `port` for `seconds`; Mbit/s received. `reverse`: download. */
export async function throughput(port: number, seconds: number, reverse: boolean): Promise<number> {
  const args = ["-c", "127.0.0.1", "-p", String(port), "-t", String(seconds), "-J"];
  if (reverse) args.push("-R");
  for (let attempt = 1;; attempt++) {
    const out = await new Deno.Command("iperf3", { args, stdin: "null", stderr: "null" }).output();
    const json = JSON.parse(new TextDecoder().decode(out.stdout));
    const bps = json?.end?.sum_received?.bits_per_second;
    if (typeof bps === "number") return bps / 1e6;
    const error = String(json?.error ?? "no result");
    // iperf3's server takes a moment to notice the previous test's tunnelled sockets closing.
    if (!/busy/.test(error) || attempt === 20) throw new Error(`iperf3 failed: ${error}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function roundTrip(conn: Deno.Conn, msg: Uint8Array, buf: Uint8Array): Promise<void> {
  let o = 0;
  while (o < msg.length) o += await conn.write(msg.subarray(o));
  let got = 0;
  while (got < msg.length) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("closed during a round trip");
    got += n;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** p50 and p99 (ms) of 1 KiB round trips over one tunnelled connection. */
export async function latency(port: number, count: number): Promise<{ p50: number; p99: number }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const msg = new Uint8Array(1024), buf = new Uint8Array(4096);
  const times: number[] = [];
  try {
    await roundTrip(conn, msg, buf); // Warm-up: header and first response.
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await roundTrip(conn, msg, buf);
      times.push(performance.now() - t);
    }
  } finally {
    conn.close();
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

/**
 * Tunnelled connections per second: `parallel` workers each open, do a 1 KiB round trip and close,
 * for `seconds`. Round trips still in flight when the window ends are cut, so one stalled round
 * trip (v2ray 4.34's server stalls one now and then) cannot stretch the window; `failed` counts
 * those that errored and those cut after more than a second in flight.
 */
export async function connectionRate(
  port: number,
  seconds: number,
  parallel: number,
): Promise<{ perSecond: number; failed: number }> {
  const end = performance.now() + seconds * 1000;
  let done = 0, failed = 0;
  const inFlight = new Map<Deno.Conn, number>();
  const worker = async () => {
    const msg = new Uint8Array(1024), buf = new Uint8Array(4096);
    while (performance.now() < end) {
      let conn: Deno.Conn | undefined;
      try {
        conn = await Deno.connect({ hostname: "127.0.0.1", port });
        if (performance.now() >= end) break; // connected after the cut: nothing would close it
        inFlight.set(conn, performance.now());
        await roundTrip(conn, msg, buf);
        if (performance.now() <= end) done++;
      } catch {
        if (performance.now() < end) failed++; // counted, not fatal
      } finally {
        if (conn) {
          inFlight.delete(conn);
          try {
            conn.close();
          } catch {
            // Closed when the window ended.
          }
        }
      }
    }
  };
  const cut = setTimeout(() => {
    const now = performance.now();
    for (const [conn, since] of inFlight) {
      if (now - since > 1000) failed++;
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }, seconds * 1000);
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    clearTimeout(cut);
  }
  return { perSecond: done / seconds, failed };
}

/** Server RSS growth per idle tunnelled connection (KiB), with `count` connections open. */
export async function memoryPerConnection(
  port: number,
  serverPid: number,
  count: number,
): Promise<number> {
  const before = await rssKiB(serverPid);
  const conns: Deno.Conn[] = [];
  try {
    const msg = new Uint8Array(1), buf = new Uint8Array(16);
    let open = 0;
    for (let i = 0; i < count; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(c);
      // Established end to end; one the server dropped is not counted.
      if (await roundTrip(c, msg, buf).then(() => true, () => false)) open++;
    }
    const after = await rssKiB(serverPid);
    return (after - before) / Math.max(1, open);
  } finally {
    for (const c of conns) c.close();
  }
}
