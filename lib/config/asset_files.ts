/**
 * Where V2Ray's asset files (geoip.dat, geosite.dat, ext: files) are looked up, as V2Ray 4.34
 * looks: `v2ray.location.asset` / `V2RAY_LOCATION_ASSET` (else the executable's directory), then
 * /usr/local/share/v2ray and /usr/share/v2ray; then ours, /usr/local/share/denoray. This is the
 * file-reading edge of config loading (lib/config's other modules read no files).
 */
import type { AssetRead, AssetSource } from "./geo_resolve.ts";

/** Our own asset directory, searched after V2Ray's. */
export const DENORAY_ASSET_DIR = "/usr/local/share/denoray";

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function join(dir: string, file: string): string {
  // As Go's filepath.Join: an absolute `file` still lands under `dir`.
  return `${dir.replace(/\/+$/, "")}/${file.replace(/^\/+/, "")}`;
}

/**
 * The directories searched, in order. `env` reads an environment variable; `execPath` is the
 * running executable (the compiled denoray, or deno itself under `deno run`).
 */
export function assetDirectories(
  env: (name: string) => string | undefined,
  execPath: string,
): string[] {
  const first = env("v2ray.location.asset") ?? env("V2RAY_LOCATION_ASSET") ?? dirname(execPath);
  return [first, "/usr/local/share/v2ray", "/usr/share/v2ray", DENORAY_ASSET_DIR];
}

/** An AssetSource reading `name` from the first of `dirs` that has it. */
export function fileAssets(dirs: readonly string[]): AssetSource {
  return {
    read(name: string): AssetRead {
      const searched: string[] = [];
      for (const dir of dirs) {
        const path = join(dir, name);
        searched.push(path);
        try {
          return { path, bytes: Deno.readFileSync(path) };
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) continue;
          return { searched, problem: `cannot read ${path}: ${(e as Error).message}` };
        }
      }
      return { searched };
    },
  };
}

function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: as if unset
  }
}

/** The AssetSource of this process: its environment and executable. */
export function processAssets(): AssetSource {
  return fileAssets(assetDirectories(envVar, Deno.execPath()));
}
