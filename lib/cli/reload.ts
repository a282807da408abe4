/**
 * SIGHUP for `run`: reopen the log files (logrotate's "postrotate kill -HUP"), then read the
 * config again from the same files and flags; if it is valid, the instance reloads it, else the
 * running config stays and the log says why.
 */
import { ConfigError, type ConfigIssue, formatIssue, type LoadedConfig } from "../config/mod.ts";
import type { Instance } from "../app/instance.ts";
import { type LogOutputs, logOutputs, sameLogConfig } from "../app/logger_from_config.ts";
import type { Logger } from "../log/mod.ts";

/** What a reload needs from `run`. */
export interface ReloadSetup {
  /** The running instance. */
  readonly instance: Instance;
  /** The process logger (reopened and, if the `log` section changed, redirected). */
  readonly logger: Logger;
  /** Reads and checks the config again, as `run` read it at start; throws ConfigError. */
  readonly load: () => Promise<LoadedConfig>;
  /** Where the config comes from, for log lines ("a.json, b.json"). */
  readonly source: () => string;
  /** A line to log at each reload about what cannot be read again (stdin), if anything. */
  readonly note?: string;
}

/** Listens for SIGHUP; stop() removes the listener and waits for a reload under way. */
export interface ReloadListener {
  /** No more reloads; resolves once the one under way (if any) is over. */
  stop(): Promise<void>;
}

/** Logs each warning of a config. */
export function logConfigWarnings(logger: Logger, warnings: readonly ConfigIssue[]): void {
  for (const w of warnings) logger.warning(`config: ${formatIssue(w)}`);
}

function reject(logger: Logger, why: string): void {
  logger.error(`reload: ${why}; the running config stays`);
}

// Every problem of a config that cannot be reloaded, one line each with its JSON path.
function rejectConfig(logger: Logger, e: ConfigError): void {
  const errors = e.message.split("\n").filter((l) => l !== "");
  reject(logger, `the config has ${errors.length} error${errors.length === 1 ? "" : "s"}`);
  for (const line of errors) logger.error(`reload: config: ${line}`);
}

/** One reload: never throws; what happened is logged. */
export async function reloadOnce(setup: ReloadSetup): Promise<void> {
  const { logger, instance } = setup;
  // First, so that this very reload is logged in the new files, valid config or not.
  for (const why of logger.reopen()) {
    logger.warning(`log: cannot reopen a log file (${why}); writing on where it was`);
  }
  let loaded: LoadedConfig;
  try {
    // Naming the source lists a confdir, which may have gone since start.
    logger.warning(`SIGHUP: log files reopened; reloading the config from ${setup.source()}`);
    if (setup.note) logger.warning(`reload: ${setup.note}`);
    // No preflight of the log files: those of an unchanged log section are open already, and
    // a changed section's are opened below, which is the check (and needs no read permission).
    loaded = await setup.load();
  } catch (e) {
    if (e instanceof ConfigError) rejectConfig(logger, e);
    else reject(logger, (e as Error).message);
    return;
  }
  logConfigWarnings(logger, loaded.warnings);
  const log = loaded.config.log;
  let outputs: LogOutputs | undefined;
  if (!sameLogConfig(instance.config.log, log)) {
    try {
      outputs = logOutputs(log);
    } catch (e) {
      reject(logger, `log: ${(e as Error).message}`);
      return;
    }
  }
  let done;
  try {
    done = await instance.reload(loaded.config);
  } catch (e) {
    outputs?.error.close?.();
    outputs?.access?.close?.();
    if (e instanceof ConfigError) rejectConfig(logger, e);
    else reject(logger, (e as Error).message);
    return;
  }
  if (outputs) {
    logger.warning("reload: the log section changed: logging goes by it from now on");
    logger.redirect(outputs.level, outputs.error, outputs.access);
  }
  const list = (names: readonly string[]) => names.length === 0 ? "none" : names.join(", ");
  const runOn = done.retired.length > 0 ? " (their open connections run on)" : "";
  logger.warning(
    `config reloaded: inbounds kept ${list(done.kept)}; bound ${list(done.bound)}; stopped ${
      list(done.retired)
    }${runOn}; new connections use the new config`,
  );
}

/**
 * Reloads on each SIGHUP; one that arrives during a reload makes one more reload after it (any
 * number of them coalesce into one). Windows has no SIGHUP: nothing is listened for there.
 */
export function listenForReload(setup: ReloadSetup): ReloadListener {
  if (Deno.build.os === "windows") return { stop: () => Promise.resolve() };
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await reloadOnce(setup);
      } catch (e) {
        // reloadOnce logs what it expects; anything else must not end the process either.
        reject(setup.logger, (e as Error)?.message ?? String(e));
      }
    } while (again && !stopped);
    running = null;
  };
  const handler = () => {
    if (stopped) return;
    if (running) {
      if (!again) setup.logger.info("SIGHUP during a reload: one more reload after it");
      again = true;
      return;
    }
    running = loop();
  };
  Deno.addSignalListener("SIGHUP", handler);
  return {
    async stop() {
      stopped = true;
      Deno.removeSignalListener("SIGHUP", handler);
      await running;
    },
  };
}
