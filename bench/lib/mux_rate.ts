/**
 * Mux.Cool against plain VMess: tunnelled connections per second and the CPU each costs (client
 * and server together), for one client → server pair, in one run with the rest of the bench.
 */
import { clientConfig, serverConfig } from "./configs.ts";
import { connectionRate } from "./measure.ts";
import { cpuMs, freePort, type Impl, start } from "./procs.ts";

/** One pair with mux on or off. */
export interface MuxRow {
  /** "client → server". */
  readonly pair: string;
  /** Whether the client multiplexed. */
  readonly mux: boolean;
  /** Tunnelled connections (open, 1 KiB round trip, close) per second, 32 in parallel. */
  readonly connPerSec: number;
  /** CPU time of client and server together per connection, ms. */
  readonly cpuMsPerConn: number;
  /** Round trips that failed or stalled. */
  readonly failed: number;
}

/** Measures `client` → `server` with and without mux for `seconds` each. */
export async function muxRate(
  client: Impl,
  server: Impl,
  mux: boolean,
  echoPort: number,
  seconds: number,
): Promise<MuxRow> {
  const sp = freePort(), entry = freePort();
  await using srv = await start(server, serverConfig(sp), sp);
  await using cli = await start(
    client,
    clientConfig(sp, "aes-128-gcm", [[entry, echoPort]], mux),
    entry,
  );
  await connectionRate(entry, 1, 8); // warm-up: first connections, JIT
  const before = (await cpuMs(cli.pid)) + (await cpuMs(srv.pid));
  const rate = await connectionRate(entry, seconds, 32);
  const used = (await cpuMs(cli.pid)) + (await cpuMs(srv.pid)) - before;
  const conns = Math.max(rate.perSecond * seconds, 1);
  return {
    pair: `${client} → ${server}`,
    mux,
    connPerSec: rate.perSecond,
    cpuMsPerConn: used / conns,
    failed: rate.failed,
  };
}

/** A Markdown table of mux rows; ratios against v2ray → v2ray with the same mux setting. */
export function formatMuxTable(
  rows: readonly (MuxRow | { pair: string; mux: boolean; error: string })[],
): string {
  const base = (mux: boolean) =>
    rows.find((r): r is MuxRow => "connPerSec" in r && r.pair === "v2ray → v2ray" && r.mux === mux);
  const lines = [
    "| pair | mux | conn/s | CPU ms/conn (client + server) | stalled |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    if (!("connPerSec" in r)) {
      lines.push(`| ${r.pair} | ${r.mux ? "on" : "off"} | error: ${r.error} | | |`);
      continue;
    }
    const b = base(r.mux);
    const ratio = (v: number, bv: number | undefined) => bv ? ` (${(v / bv).toFixed(2)}×)` : "";
    lines.push(
      `| ${r.pair} | ${r.mux ? "on" : "off"} | ${r.connPerSec.toFixed(0)}${
        ratio(r.connPerSec, b?.connPerSec)
      } | ${r.cpuMsPerConn.toFixed(2)}${ratio(r.cpuMsPerConn, b?.cpuMsPerConn)} | ${r.failed} |`,
    );
  }
  return lines.join("\n");
}
