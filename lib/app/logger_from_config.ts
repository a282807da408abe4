/** Builds the logger a config's `log` section describes, and points it at a reloaded section. */
import type { LogConfig } from "../config/mod.ts";
import { fileSink, Logger, type LogLevel, type LogSink, stderrSink } from "../log/mod.ts";

/** Where a `log` section sends the error and access logs, and at which level. */
export interface LogOutputs {
  /** The error log's level. */
  readonly level: LogLevel;
  /** The error log. */
  readonly error: LogSink;
  /** The access log, or null when it is off. */
  readonly access: LogSink | null;
}

const discard: LogSink = { writeLine() {} };

function sink(path: string | undefined): LogSink | null {
  return path === undefined || path === "" ? stderrSink : path === "none" ? null : fileSink(path);
}

/**
 * Error log to `log.error` (stderr if unset) at `log.loglevel`; access log to `log.access` or
 * stderr; "none" disables a file. Opens the files: throws if one cannot be opened.
 */
export function logOutputs(log: LogConfig): LogOutputs {
  const error = sink(log.error) ?? discard;
  try {
    return { level: log.loglevel, error, access: sink(log.access) };
  } catch (e) {
    error.close?.();
    throw e;
  }
}

/** The logger of a `log` section (see logOutputs). */
export function loggerFromConfig(log: LogConfig): Logger {
  const o = logOutputs(log);
  return new Logger(o.level, o.error, o.access);
}

/** Whether two `log` sections write the same files at the same level. */
export function sameLogConfig(a: LogConfig, b: LogConfig): boolean {
  return a.loglevel === b.loglevel && (a.error ?? "") === (b.error ?? "") &&
    (a.access ?? "") === (b.access ?? "");
}
