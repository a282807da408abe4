/** Metrics as Prometheus text over HTTP (GET /metrics). */
import { type MetricFamily, renderPrometheus } from "./prometheus.ts";

/** A running metrics endpoint. */
export interface MetricsEndpoint {
  /** "http host:port" of the listener. */
  readonly address: string;
  /** Stops serving. */
  close(): Promise<void>;
}

/** Serves what `collect` returns at each scrape on host:port (port 0 picks one). */
export function serveMetrics(
  collect: () => readonly MetricFamily[],
  host: string,
  port: number,
): MetricsEndpoint {
  const server = Deno.serve({ hostname: host, port, onListen() {} }, (req) => {
    if (new URL(req.url).pathname !== "/metrics") {
      return new Response("not found\n", { status: 404 });
    }
    return new Response(renderPrometheus(collect()), {
      headers: { "content-type": "text/plain; version=0.0.4" },
    });
  });
  const a = server.addr;
  return {
    address: `http ${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}/metrics`,
    close: () => server.shutdown(),
  };
}
