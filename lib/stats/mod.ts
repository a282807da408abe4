/** Traffic statistics. */
export { TrafficStats } from "./counters.ts";
