/** The counters as Prometheus text over HTTP (GET /metrics). */
import type { TrafficStats } from "./counters.ts";

/** A running metrics endpoint. */
export interface MetricsEndpoint {
  /** "http host:port" of the listener. */
  readonly address: string;
  /** Stops serving. */
  close(): Promise<void>;
}

/** Serves `stats` on host:port (port 0 picks one). */
export function serveMetrics(stats: TrafficStats, host: string, port: number): MetricsEndpoint {
  const server = Deno.serve({ hostname: host, port, onListen() {} }, (req) => {
    if (new URL(req.url).pathname !== "/metrics") {
      return new Response("not found\n", { status: 404 });
    }
    return new Response(stats.prometheus(), {
      headers: { "content-type": "text/plain; version=0.0.4" },
    });
  });
  const a = server.addr;
  return {
    address: `http ${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}/metrics`,
    close: () => server.shutdown(),
  };
}
