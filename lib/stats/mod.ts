/** Traffic statistics. */
export { TrafficStats } from "./counters.ts";
export { type MetricsEndpoint, serveMetrics } from "./endpoint.ts";
