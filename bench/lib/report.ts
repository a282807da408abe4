/** The results table, each figure with its ratio to v2ray → v2ray of the same security. */

/** One pair × security. */
export interface Row {
  readonly pair: string;
  /** The VMess security, and the transport when not plain TCP ("aes-128-gcm, ws+tls"). */
  readonly security: string;
  readonly uploadMbps?: number;
  readonly downloadMbps?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly connPerSec?: number;
  /** Round trips of the connection-rate run that failed or stalled (cut after over 1 s). */
  readonly failedConns?: number;
  readonly kibPerIdleConn?: number;
  /** Why the row has no figures. */
  readonly error?: string;
}

const COLUMNS = [
  ["uploadMbps", "up Mbit/s", 0],
  ["downloadMbps", "down Mbit/s", 0],
  ["p50Ms", "p50 ms", 3],
  ["p99Ms", "p99 ms", 3],
  ["connPerSec", "conn/s", 0],
  ["kibPerIdleConn", "KiB/idle conn", 1],
] as const;

/** A Markdown table; ratios are against the v2ray → v2ray row of the same security. */
export function formatTable(rows: readonly Row[]): string {
  const head = `| pair | security | ${COLUMNS.map(([, h]) => h).join(" | ")} | stalled |`;
  const sep = `| --- | --- | ${COLUMNS.map(() => "---").join(" | ")} | --- |`;
  const lines = rows.map((r) => {
    if (r.error) {
      return `| ${r.pair} | ${r.security} | ${
        COLUMNS.map(() => "–").join(" | ")
      } | – | (${r.error})`;
    }
    const base = rows.find((b) =>
      b.pair === "v2ray → v2ray" && b.security === r.security && !b.error
    );
    const cells = COLUMNS.map(([k, , digits]) => {
      const v = r[k] as number | undefined;
      // Rows that measure less (the ws+tls row: throughput only) leave the rest out.
      if (v === undefined) return "–";
      const b = base?.[k] as number | undefined;
      const ratio = b ? ` (${(v / b).toFixed(2)}×)` : "";
      return `${v.toFixed(digits)}${ratio}`;
    });
    return `| ${r.pair} | ${r.security} | ${cells.join(" | ")} | ${r.failedConns ?? 0} |`;
  });
  return [head, sep, ...lines].join("\n");
}

/** Memory under load of one implementation pair (client and server the same). */
export interface MemoryRow {
  readonly pair: string;
  /** Tunnels open at once. */
  readonly tunnels?: number;
  /** Server and client RSS growth per tunnel at the load's peak, KiB. */
  readonly serverKiBPerTunnel?: number;
  readonly clientKiBPerTunnel?: number;
  /** Share of the server's and client's growth given back after each listed idle time, %. */
  readonly serverReturned?: readonly { readonly seconds: number; readonly percent: number }[];
  readonly clientReturned?: readonly { readonly seconds: number; readonly percent: number }[];
  /** Tunnels whose bytes came back wrong or short. */
  readonly failed?: number;
  /** Why the row has no figures. */
  readonly error?: string;
}

/** A Markdown table of memory under load; ratios are against the v2ray → v2ray row. */
export function formatMemoryTable(rows: readonly MemoryRow[]): string {
  const base = rows.find((r) => r.pair === "v2ray → v2ray" && !r.error);
  const ratio = (v: number, b: number | undefined) => b ? ` (${(v / b).toFixed(2)}×)` : "";
  const returned = (xs: MemoryRow["serverReturned"]) =>
    (xs ?? []).map((x) => `${x.percent}% at ${x.seconds} s`).join(", ");
  const head = "| pair | tunnels | server KiB/tunnel | client KiB/tunnel | server given back | " +
    "client given back | failed |";
  const sep = "| --- | --- | --- | --- | --- | --- | --- |";
  const lines = rows.map((r) =>
    r.error
      ? `| ${r.pair} | – | – | – | – | – | – | (${r.error})`
      : `| ${r.pair} | ${r.tunnels} | ${r.serverKiBPerTunnel!.toFixed(1)}${
        ratio(r.serverKiBPerTunnel!, base?.serverKiBPerTunnel)
      } | ${r.clientKiBPerTunnel!.toFixed(1)}${
        ratio(r.clientKiBPerTunnel!, base?.clientKiBPerTunnel)
      } | ${returned(r.serverReturned)} | ${returned(r.clientReturned)} | ${r.failed} |`
  );
  return [head, sep, ...lines].join("\n");
}
