/** The release artefacts in tests: the systemd unit's command line, running as `nobody`. */
import { Spawned } from "./process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The unit file in deploy/. */
export const UNIT_PATH = `${ROOT}deploy/denoray.service`;

/** The unprivileged user the release runs as in tests. */
export const NOBODY = { uid: 65534, gid: 65534 };

/** A unit's directives (continuation lines joined), in order; a key may repeat. */
export function unitDirectives(text: string): [string, string][] {
  return text.replace(/\\\n\s*/g, " ").split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith(";") && !l.startsWith("["))
    .map((l) => {
      const i = l.indexOf("=");
      return [l.slice(0, i), l.slice(i + 1)] as [string, string];
    });
}

/** The unit's text with its install paths moved to where a test put things. */
export function relocateUnit(
  text: string,
  paths: { opt: string; etc: string; log: string; state: string },
): string {
  return text.replaceAll("/opt/denoray", paths.opt)
    .replaceAll("/etc/denoray", paths.etc)
    .replaceAll("/var/log/denoray", paths.log)
    .replaceAll("/var/lib/denoray", paths.state);
}

/**
 * Spawns `argv` as nobody (setpriv), with an environment of PATH and `env` only (no HOME), in
 * `cwd`; stderr lines can be awaited.
 */
export function spawnAsNobody(
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
): Spawned {
  return new Spawned(
    "setpriv",
    [
      `--reuid=${NOBODY.uid}`,
      `--regid=${NOBODY.gid}`,
      "--clear-groups",
      "--",
      ...argv,
    ],
    cwd,
    { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...env }, clearEnv: true },
  );
}
