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
