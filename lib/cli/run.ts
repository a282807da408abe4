/** `denoray run`: start everything, stop on SIGINT/SIGTERM. */
import {
  type ConfigIssue,
  formatIssue,
  loadConfigFiles,
  loadConfigObject,
  type LoadOptions,
} from "../config/mod.ts";
import { Instance } from "../app/instance.ts";
import { readTlsFiles } from "../app/tls_files.ts";
import type { Logger } from "../log/mod.ts";
import { loggerFromConfig } from "../app/logger_from_config.ts";
import { DEFAULT_CONFIG } from "./default_config.ts";
import { describeCrypto } from "../crypto/mod.ts";
import { startupLine } from "./startup_line.ts";
import { ignoreSighup } from "./sighup.ts";

/** How long live connections may finish after a stop signal. */
export const SHUTDOWN_GRACE_MS = 2_000;

function logWarnings(logger: Logger, warnings: readonly ConfigIssue[]): void {
  for (const w of warnings) logger.warning(`config: ${formatIssue(w)}`);
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

/** Runs until a stop signal; resolves with the exit code. Config errors reject with ConfigError. */
export async function runCommand(
  files: readonly string[],
  options: LoadOptions = {},
): Promise<number> {
  const loaded = files.length > 0
    ? await loadConfigFiles(files, options)
    : loadConfigObject(DEFAULT_CONFIG, "(embedded default)", options);
  const warnings = loaded.warnings;
  // Certificate and key files are read now: a missing one is a config error at its path.
  const config = await readTlsFiles(loaded.config, files.length === 1 ? files[0] : undefined);
  const logger = loggerFromConfig(config.log);
  const source = files.length > 0 ? files.join(", ") : "the embedded default config";
  logger.info(startupLine(source));
  logWarnings(logger, warnings);
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
  const stopIgnoringSighup = ignoreSighup(logger);
  const instance = new Instance(config, logger, { stateFile: stateFilePath(readEnv) });
  try {
    await instance.start();
  } catch (e) {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    stopIgnoringSighup();
    throw e;
  }
  logger.warning(`denoray started with ${source}; crypto: ${describeCrypto()}`);
  // A listener that dies for good ends the process non-zero, so its supervisor restarts it.
  const end = await Promise.race([stopped, instance.failure]);
  for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  stopIgnoringSighup();
  if (end instanceof Error) {
    logger.error(`stopping: ${end.message}`);
    await instance.stop(SHUTDOWN_GRACE_MS);
    return 1;
  }
  logger.warning(
    `${end} received: closing listeners, ${SHUTDOWN_GRACE_MS} ms grace for live connections`,
  );
  await instance.stop(SHUTDOWN_GRACE_MS);
  logger.warning("denoray stopped");
  return 0;
}
