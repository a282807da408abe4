/**
 * Peer programs the tests run (v2ray, curl, …) and what happens when one is missing: outside CI
 * the tests that need it are skipped (`Deno.test({ ignore: !requirePeer("v2ray"), … })`) and
 * each skip is recorded for tests/runner.ts, which prints one line for the whole run; under
 * `CI=true` they run anyway, so a missing peer is a failure, never a skip.
 */

/** Each peer program and the Debian package that brings it. */
export const PEERS = {
  v2ray: "v2ray",
  curl: "curl",
  nginx: "nginx",
  haproxy: "haproxy",
  openssl: "openssl",
  "systemd-analyze": "systemd",
  setpriv: "util-linux",
} as const;

/** A peer program a test may need. */
export type Peer = keyof typeof PEERS;

/** Why a test was skipped: a missing program, or a test that must run as root. */
export type SkipReason = Peer | "root";

/** The environment variable naming the file where skips are recorded (set by tests/runner.ts). */
export const SKIP_LOG_ENV = "DENORAY_PEER_SKIPS";

/** Whether this run is CI (`CI=true`), where nothing may be skipped. */
export function inCi(): boolean {
  return Deno.env.get("CI") === "true";
}

/** The path of `name` on PATH, or null. */
export function findOnPath(name: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    const path = `${dir}/${name}`;
    try {
      const st = Deno.statSync(path);
      if (st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0) return path;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/** The peers of `names` that are not installed. */
export function missingPeers(names: readonly Peer[] = Object.keys(PEERS) as Peer[]): Peer[] {
  return names.filter((n) => findOnPath(n) === null);
}

// Appends one line per test that lacks something ("skip:" or, under CI, "fail:" and the
// reasons); the runner counts them. Appends of a few bytes with O_APPEND do not interleave
// between the parallel test modules.
function record(kind: "skip" | "fail", reasons: readonly SkipReason[]): void {
  const file = Deno.env.get(SKIP_LOG_ENV);
  if (!file) return;
  Deno.writeTextFileSync(file, `${kind}:${reasons.join(",")}\n`, { append: true });
}

/**
 * Whether a test that runs `names` should run: true when all are installed, and always under CI
 * (the test then fails on the missing program). Otherwise false, and the skip is recorded.
 */
export function requirePeer(...names: Peer[]): boolean {
  const missing = missingPeers(names);
  if (missing.length === 0) return true;
  record(inCi() ? "fail" : "skip", missing);
  return inCi();
}

/** Whether a test that must run as root (to drop to another user) should run; as requirePeer. */
export function requireRoot(): boolean {
  if (Deno.uid() === 0) return true;
  record(inCi() ? "fail" : "skip", ["root"]);
  return inCi();
}

function countReasons(lines: readonly string[], kind: "skip" | "fail") {
  const byReason = new Map<string, number>();
  let total = 0;
  for (const line of lines) {
    if (!line.startsWith(`${kind}:`)) continue;
    total++;
    for (const r of line.slice(kind.length + 1).trim().split(",")) {
      byReason.set(r, (byReason.get(r) ?? 0) + 1);
    }
  }
  // Most skipped first, then by name: the same line whatever order the modules ran in.
  const reasons = [...byReason].sort(([a, n], [b, m]) => m - n || a.localeCompare(b));
  const why = reasons.map(([r, n]) => `${n} need${n === 1 ? "s" : ""} ${r}`).join(", ");
  const packages = [
    ...new Set(reasons.map(([r]) => r).filter((r) => r in PEERS).map((r) => PEERS[r as Peer])),
  ];
  return { total, why, packages };
}

/**
 * The one line on what the run lacked (empty when nothing): outside CI how many tests were
 * skipped, why, and how to fix it; under CI how many ran without what they need (and failed).
 */
export function skipSummary(lines: readonly string[]): string {
  const failed = countReasons(lines, "fail");
  if (failed.total > 0) {
    const n = `${failed.total} ${failed.total === 1 ? "test" : "tests"}`;
    return `tests: CI=true, so ${n} ran without what they need and failed (${failed.why})${
      failed.packages.length > 0 ? `: apt-get install -y ${failed.packages.join(" ")}` : ""
    }.`;
  }
  const { total, why, packages } = countReasons(lines, "skip");
  if (total === 0) return "";
  const fix = packages.length > 0
    ? `sudo apt-get install -y ${packages.join(" ")}, or run the test command as root (it ` +
      "then installs what is missing)"
    : "run the test command as root";
  return `tests: ${total} skipped (${why}): ${fix}.`;
}
