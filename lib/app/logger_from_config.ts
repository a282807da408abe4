/** Builds the logger a config's `log` section describes. */
import type { LogConfig } from "../config/mod.ts";
import { fileSink, Logger, stderrSink } from "../log/mod.ts";

/** Error log to `log.error` (stderr if unset) at `log.loglevel`; access log to `log.access` or stderr; "none" disables a file. */
export function loggerFromConfig(log: LogConfig): Logger {
  const sink = (path: string | undefined) =>
    path === undefined || path === "" ? stderrSink : path === "none" ? null : fileSink(path);
  return new Logger(log.loglevel, sink(log.error) ?? { writeLine() {} }, sink(log.access));
}
