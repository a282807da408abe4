/** Mux.Cool over ByteStreams: the server's sub-connections and the client's pool. */
export {
  type MuxHandler,
  type MuxSubConnection,
  type MuxTcpSubConnection,
  type MuxUdpSubConnection,
  serveMux,
} from "./server.ts";
export {
  IDLE_CHECK_MS,
  intervalTicker,
  MAX_SUB_CONNECTIONS_PER_CONNECTION,
  type MuxClientOptions,
  MuxClientPool,
  type Ticker,
} from "./client_pool.ts";
export type { MuxOutcome } from "./connection.ts";
export { MUX_ERROR_CODES, MuxError, type MuxErrorCode } from "./errors.ts";
export { DEFAULT_MUX_LIMITS, type MuxLimits } from "./limits.ts";
