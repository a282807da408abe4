/**
 * What `test` checks beyond the config's own content, without starting anything: that the log
 * files can be written. (Certificate files join here once TLS lands.)
 */
import { type Config, configError, type ConfigIssue } from "../config/mod.ts";

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/** Why `path` cannot be opened for appending (without creating or changing it), or undefined. */
function notWritable(path: string): string | undefined {
  try {
    const info = Deno.statSync(path);
    if (info.isDirectory) return "is a directory";
    Deno.openSync(path, { append: true }).close();
    return undefined;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return (e as Error).message;
  }
  // Not there yet: the directory must exist and take a new file.
  const dir = dirname(path);
  try {
    if (!Deno.statSync(dir).isDirectory) return `${dir} is not a directory`;
    const probe = Deno.makeTempFileSync({ dir, prefix: ".denoray-test-" });
    Deno.removeSync(probe);
    return undefined;
  } catch (e) {
    return e instanceof Deno.errors.NotFound
      ? `directory ${dir} does not exist`
      : `cannot create files in ${dir}: ${(e as Error).message}`;
  }
}

/** Problems `run` would meet at start that the config alone does not show. */
export function preflight(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of ["access", "error"] as const) {
    const path = config.log[key];
    if (path === undefined || path === "" || path === "none") continue;
    const why = notWritable(path);
    if (why) issues.push(configError(["log", key], `cannot write ${JSON.stringify(path)}: ${why}`));
  }
  return issues;
}
