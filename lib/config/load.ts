/**
 * Reading config files (or standard input): comments, V2Ray's key spelling, merge, validation,
 * geo data. With asset_files.ts, the one part of lib/config that touches the file system.
 */
import { ConfigError, configError, type ConfigIssue, configWarning } from "./issues.ts";
import { byteLineCol, invalidUtf8At, parseJsonc } from "./jsonc.ts";
import { mergeConfigs, type MergeMode, type NamedConfig } from "./merge.ts";
import { type Config, validateConfig } from "./validate.ts";
import { type AssetSource, NO_ASSETS } from "./geo_resolve.ts";
import { processAssets } from "./asset_files.ts";
import { normaliseKeys } from "./key_case.ts";
import { root } from "./schema.ts";

/** A loaded config with the warnings to log. */
export interface LoadedConfig {
  /** The validated config. */
  readonly config: Config;
  /** Warnings (keys accepted but not acted on, unknown keys). */
  readonly warnings: readonly ConfigIssue[];
}

/** How configs are loaded. */
export interface LoadOptions {
  /** Where geo data files are looked up (files: this process's V2Ray places; objects: none). */
  readonly assets?: AssetSource;
  /** Warnings are errors. */
  readonly strict?: boolean;
  /** How several files merge (default "v2ray", as V2Ray 4.34). */
  readonly merge?: MergeMode;
  /** Reads standard input, for the file names "stdin:" and "-" (default: the process's). */
  readonly readStdin?: () => Promise<string>;
}

/** Whether a config file name means standard input, as V2Ray's "stdin:" (or "-"). */
export function isStdin(file: string): boolean {
  return file === "stdin:" || file === "-";
}

async function processStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

async function readConfigBytes(file: string, options: LoadOptions): Promise<Uint8Array> {
  if (isStdin(file)) return new TextEncoder().encode(await (options.readStdin ?? processStdin)());
  try {
    return await Deno.readFile(file);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "file not found"
      : `cannot read: ${(e as Error).message}`;
    throw new ConfigError([configError([], why)], file);
  }
}

// The text of a config file; bytes that are not UTF-8 are read as U+FFFD, as V2Ray reads them,
// with a warning saying where the first one is.
async function readConfigText(
  file: string,
  options: LoadOptions,
): Promise<{ text: string; issues: ConfigIssue[] }> {
  const bytes = await readConfigBytes(file, options);
  const bad = invalidUtf8At(bytes);
  const text = new TextDecoder().decode(bytes);
  if (bad < 0) return { text, issues: [] };
  const { line, column } = byteLineCol(bytes, bad);
  return {
    text,
    issues: [configWarning([], `bytes that are not UTF-8 at line ${line}, column ${column}`)],
  };
}

/** Reads, merges (later files over earlier) and validates; throws ConfigError listing every error. */
export async function loadConfigFiles(
  files: readonly string[],
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  const named: NamedConfig[] = [];
  const early: ConfigIssue[] = [];
  for (const file of files) {
    const name = isStdin(file) ? "stdin:" : file;
    // Keys in V2Ray's spelling before merging, so "Inbounds" in a later file merges as inbounds.
    const read = await readConfigText(file, options);
    early.push(...read.issues.map((i) => ({ ...i, file: name })));
    const keyed = normaliseKeys(root, parseJsonc(read.text, name), []);
    named.push({ name, value: keyed.value });
    early.push(...keyed.issues.map((i) => files.length > 1 ? { ...i, file: name } : i));
  }
  const merged = mergeConfigs(named, options.merge);
  early.push(...merged.issues);
  return finish(merged.value, files.length === 1 ? named[0].name : undefined, {
    ...options,
    assets: options.assets ?? processAssets(),
  }, early);
}

function finish(
  raw: unknown,
  file: string | undefined,
  options: LoadOptions,
  early: readonly ConfigIssue[],
): LoadedConfig {
  const { config, issues: found } = validateConfig(raw, { assets: options.assets ?? NO_ASSETS });
  const issues = [...early, ...found];
  if (!config) throw new ConfigError(issues, file);
  const warnings = issues.filter((i) => i.severity === "warning");
  if (options.strict && warnings.length > 0) {
    throw new ConfigError(warnings.map((w) => ({ ...w, severity: "error" as const })), file);
  }
  return { config, warnings };
}

/** Validates an already-parsed config object; throws ConfigError when it has errors. */
export function loadConfigObject(
  raw: unknown,
  file?: string,
  options: LoadOptions = {},
): LoadedConfig {
  return finish(raw, file, options, []);
}
