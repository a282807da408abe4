/** `denoray run`: start everything; reload on SIGHUP; stop on SIGINT/SIGTERM. */
import {
  isStdin,
  loadConfigFiles,
  loadConfigObject,
  type LoadedConfig,
  type LoadOptions,
} from "../config/mod.ts";
import { Instance } from "../app/instance.ts";
import { readTlsFiles } from "../app/tls_files.ts";
import { loggerFromConfig } from "../app/logger_from_config.ts";
import { DEFAULT_CONFIG } from "./default_config.ts";
import { describeCrypto } from "../crypto/mod.ts";
import { startupLine } from "./startup_line.ts";
import { listenForReload, logConfigWarnings } from "./reload.ts";
import { startHousekeeping } from "../app/memory.ts";

/** How long live connections may finish after a stop signal. */
export const SHUTDOWN_GRACE_MS = 2_000;

/** What standard input gave the first time, every time (it cannot be read again at a reload). */
function readStdinOnce(read: () => Promise<string>): () => Promise<string> {
  let text: Promise<string> | undefined;
  return () => text ??= read();
}

/** The config `run` runs: `files` merged and checked, or the embedded default without files. */
async function loadForRun(files: readonly string[], options: LoadOptions): Promise<LoadedConfig> {
  const loaded = files.length > 0
    ? await loadConfigFiles(files, options)
    : loadConfigObject(DEFAULT_CONFIG, "(embedded default)", options);
  // Certificate and key files are read now: a missing one is a config error at its path.
  const config = await readTlsFiles(loaded.config, files.length === 1 ? files[0] : undefined);
  return { config, warnings: loaded.warnings };
}

function describeSource(files: readonly string[]): string {
  return files.length > 0 ? files.join(", ") : "the embedded default config";
}

/**
 * Where state kept across restarts goes: `DENORAY_STATE_DIR`, else systemd's `STATE_DIRECTORY`
 * (StateDirectory= in the unit), else nowhere (replay filters then live in memory, as V2Ray's).
 */
export function stateFilePath(env: (name: string) => string | undefined): string | undefined {
  const dir = env("DENORAY_STATE_DIR") || env("STATE_DIRECTORY")?.split(":")[0];
  return dir ? `${dir.replace(/\/+$/, "")}/replay-state.json` : undefined;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // No --allow-env: no state directory.
  }
}

/**
 * Runs until a stop signal; resolves with the exit code. Config errors at start reject with
 * ConfigError. On SIGHUP the log files are reopened and the config is read again: the files
 * `listFiles` names then (the same -c files, a -confdir listed anew), with the same options;
 * standard input cannot be read again, so what it gave at start is used again.
 */
export async function runCommand(
  files: readonly string[],
  options: LoadOptions = {},
  listFiles: () => readonly string[] = () => files,
): Promise<number> {
  const opts: LoadOptions = {
    ...options,
    readStdin: readStdinOnce(options.readStdin ?? (() => new Response(Deno.stdin.readable).text())),
  };
  const { config, warnings } = await loadForRun(files, opts);
  const logger = loggerFromConfig(config.log);
  const source = describeSource(files);
  logger.info(startupLine(source));
  logConfigWarnings(logger, warnings);
  // Signal listeners go in first, so a stop signal during start-up is not the default exit.
  const { promise: stopped, resolve } = Promise.withResolvers<string>();
  // Windows has no SIGTERM (Deno throws on it there): Ctrl+C and Ctrl+Break stop it.
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((sig) => {
    const h = () => resolve(sig);
    Deno.addSignalListener(sig, h);
    return [sig, h] as const;
  });
  const instance = new Instance(config, logger, { stateFile: stateFilePath(readEnv) });
  const reloads = listenForReload({
    instance,
    logger,
    load: () => loadForRun(listFiles(), opts),
    source: () => describeSource(listFiles()),
    note: files.some(isStdin)
      ? "stdin: cannot be read again: what it gave at start is used again"
      : undefined,
  });
  const unlisten = async () => {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    await reloads.stop();
  };
  try {
    await instance.start();
  } catch (e) {
    await unlisten();
    throw e;
  }
  logger.warning(`denoray started with ${source}; crypto: ${describeCrypto()}`);
  // Buffers and heap pages a load left behind go back to the OS once it has passed.
  const housekeeping = startHousekeeping({ logger });
  // A listener that dies for good ends the process non-zero, so its supervisor restarts it.
  const end = await Promise.race([stopped, instance.failure]);
  housekeeping.stop();
  // A reload under way finishes first (stop() would wait for it anyway); none starts after.
  await unlisten();
  if (end instanceof Error) {
    logger.error(`stopping: ${end.message}`);
    await instance.stop(SHUTDOWN_GRACE_MS);
    return 1;
  }
  logger.warning(
    `${end} received: closing listeners, ${SHUTDOWN_GRACE_MS} ms grace for ${instance.activeConnections()} live connections`,
  );
  await instance.stop(SHUTDOWN_GRACE_MS);
  logger.warning("denoray stopped");
  return 0;
}
