/** Reading config files from disk: JSONC parse, merge, validate. */
import { ConfigError, configError, type ConfigIssue } from "./issues.ts";
import { parseJsonc } from "./jsonc.ts";
import { mergeConfigs } from "./merge.ts";
import { type Config, validateConfig } from "./validate.ts";

/** A loaded config with the warnings to log. */
export interface LoadedConfig {
  /** The validated config. */
  readonly config: Config;
  /** Warnings (keys accepted but not acted on, unknown keys). */
  readonly warnings: readonly ConfigIssue[];
}

/** Reads, merges (later files over earlier) and validates; throws ConfigError listing every error. */
export async function loadConfigFiles(files: readonly string[]): Promise<LoadedConfig> {
  const parsed: unknown[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound
        ? "file not found"
        : `cannot read: ${(e as Error).message}`;
      throw new ConfigError([configError([], why)], file);
    }
    parsed.push(parseJsonc(text, file));
  }
  return loadConfigObject(mergeConfigs(parsed), files.length === 1 ? files[0] : undefined);
}

/** Validates an already-parsed config object; throws ConfigError when it has errors. */
export function loadConfigObject(raw: unknown, file?: string): LoadedConfig {
  const { config, issues } = validateConfig(raw);
  if (!config) throw new ConfigError(issues, file);
  return { config, warnings: issues.filter((i) => i.severity === "warning") };
}
