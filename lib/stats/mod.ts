/** Traffic statistics. */
export { TrafficStats } from "./counters.ts";
export { type MetricsEndpoint, serveMetrics } from "./endpoint.ts";
export { type MetricFamily, renderPrometheus, type Sample } from "./prometheus.ts";
