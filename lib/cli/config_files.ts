/** Which config files a command reads: -config files, then a -confdir's *.json, as V2Ray 4.34. */
import { UsageError } from "./flags.ts";

function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: as if unset
  }
}

function jsonFilesIn(dir: string): string[] {
  const names: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
  }
  // Go's ioutil.ReadDir sorts by name (byte order).
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((n) => `${dir.replace(/\/+$/, "")}/${n}`);
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The -config files in order, then every *.json of `confdir` (else of `v2ray.location.confdir` /
 * `V2RAY_LOCATION_CONFDIR` when that names a directory) by name; `fallback` when there are none.
 * A -confdir that is not a directory is a usage error (V2Ray ignores it silently).
 */
export function configFiles(
  config: readonly string[],
  confdir: string | undefined,
  fallback: readonly string[],
): string[] {
  const files = [...config];
  if (confdir !== undefined) {
    if (!isDir(confdir)) throw new UsageError(`-confdir ${confdir}: not a directory`);
    files.push(...jsonFilesIn(confdir));
  } else {
    const fromEnv = envVar("v2ray.location.confdir") ?? envVar("V2RAY_LOCATION_CONFDIR");
    if (fromEnv !== undefined && isDir(fromEnv)) files.push(...jsonFilesIn(fromEnv));
  }
  return files.length > 0 ? files : [...fallback];
}
