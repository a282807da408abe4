/** `denoray run`: start everything, stop on SIGINT/SIGTERM. */
import { type ConfigIssue, formatIssue, loadConfigFiles, loadConfigObject } from "../config/mod.ts";
import { Instance } from "../app/instance.ts";
import type { Logger } from "../log/mod.ts";
import { loggerFromConfig } from "../app/logger_from_config.ts";
import { DEFAULT_CONFIG } from "./default_config.ts";
import { startupLine } from "./startup_line.ts";
import { ignoreSighup } from "./sighup.ts";

/** How long live connections may finish after a stop signal. */
export const SHUTDOWN_GRACE_MS = 2_000;

function logWarnings(logger: Logger, warnings: readonly ConfigIssue[]): void {
  for (const w of warnings) logger.warning(`config: ${formatIssue(w)}`);
}

/** Runs until a stop signal; resolves with the exit code. Config errors reject with ConfigError. */
export async function runCommand(files: readonly string[]): Promise<number> {
  const { config, warnings } = files.length > 0
    ? await loadConfigFiles(files)
    : loadConfigObject(DEFAULT_CONFIG, "(embedded default)");
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
  const instance = new Instance(config, logger);
  try {
    await instance.start();
  } catch (e) {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    stopIgnoringSighup();
    throw e;
  }
  logger.warning(`denoray started with ${source}`);
  const signal = await stopped;
  for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  stopIgnoringSighup();
  logger.warning(
    `${signal} received: closing listeners, ${SHUTDOWN_GRACE_MS} ms grace for live connections`,
  );
  await instance.stop(SHUTDOWN_GRACE_MS);
  logger.warning("denoray stopped");
  return 0;
}
