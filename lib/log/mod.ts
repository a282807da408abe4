/** Logging. */
export {
  escapeControl,
  fileSink,
  Logger,
  type LogLevel,
  type LogSink,
  memorySink,
  silentLogger,
  stderrSink,
} from "./logger.ts";
export { LogThrottle } from "./throttle.ts";
