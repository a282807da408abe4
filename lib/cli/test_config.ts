/** `denoray test` and `denoray dump`: validate config files without starting anything. */
import {
  ConfigError,
  dumpConfig,
  formatIssue,
  loadConfigFiles,
  type LoadedConfig,
  type LoadOptions,
} from "../config/mod.ts";
import { preflight } from "./preflight.ts";
import { readTlsFiles } from "../app/tls_files.ts";

async function load(
  files: readonly string[],
  options: LoadOptions,
): Promise<LoadedConfig | undefined> {
  try {
    const loaded = await loadConfigFiles(files, options);
    for (const w of loaded.warnings) console.error(`warning: ${formatIssue(w)}`);
    return loaded;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const w of e.issues.filter((i) => i.severity === "warning")) {
      console.error(`warning: ${formatIssue(w)}`);
    }
    console.error(e.message);
    return undefined;
  }
}

/**
 * Validates `files` and checks what `run` would need at start (log files writable, TLS certificate
 * and key files readable); prints warnings and "Configuration OK." or every error; returns the
 * exit code.
 */
export async function testCommand(files: readonly string[], options: LoadOptions): Promise<number> {
  const loaded = await load(files, options);
  if (!loaded) return 1;
  try {
    await readTlsFiles(loaded.config, files.length === 1 ? files[0] : undefined);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    return 1;
  }
  const problems = preflight(loaded.config);
  if (problems.length > 0) {
    const where = files.length === 1 ? `${files[0]}: ` : "";
    for (const p of problems) console.error(where + formatIssue(p));
    return 1;
  }
  console.log("Configuration OK.");
  return 0;
}

/** Prints the merged config with every default filled in, as V2Ray JSON; returns the exit code. */
export async function dumpCommand(files: readonly string[], options: LoadOptions): Promise<number> {
  const loaded = await load(files, options);
  if (!loaded) return 1;
  console.log(JSON.stringify(dumpConfig(loaded.config), null, 2));
  return 0;
}
