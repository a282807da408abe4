/**
 * `deno task test`: installs missing peer programs when it can (root with apt-get), runs
 * `deno test` on tests/ (or on the arguments given) once per crypto backend (DENORAY_CRYPTO=openssl
 * then node, so both pass every test; with DENORAY_CRYPTO set, only that one), each run ending
 * with deno's own summary line (.ci/run adds them up), then prints one line on the tests skipped
 * for a missing peer. Exits non-zero if any run failed.
 *
 * Installing is done here, not in the tests, so that it happens once, before any test module
 * loads; it only runs as root with apt-get present, only for what is missing (when everything
 * is there it costs a few stat calls), and DENORAY_NO_INSTALL=1 turns it off.
 */
import { missingPeers, PEERS, SKIP_LOG_ENV, skipSummary } from "./helpers/peers.ts";

const TEST_FLAGS = ["test", "--allow-all", "--unstable-net", "--parallel"];

async function installMissing(): Promise<void> {
  const missing = missingPeers();
  if (missing.length === 0) return;
  const canInstall = Deno.uid() === 0 && Deno.env.get("DENORAY_NO_INSTALL") !== "1";
  const aptGet = canInstall ? await whichAptGet() : null;
  if (!aptGet) return;
  const packages = [...new Set(missing.map((p) => PEERS[p]))];
  console.error(
    `tests: installing ${packages.join(" ")} with apt-get (DENORAY_NO_INSTALL=1 skips)`,
  );
  // RUNLEVEL=1: invoke-rc.d then does not start the services a package brings (nginx on :80).
  const env = { DEBIAN_FRONTEND: "noninteractive", RUNLEVEL: "1" };
  const run = (args: string[]) =>
    new Deno.Command(aptGet, { args, env, stdin: "null", stdout: "null" }).output();
  const update = await run(["update", "-qq"]);
  const install = update.success
    ? await run(["install", "-y", "-qq", "--no-install-recommends", ...packages])
    : update;
  if (!install.success) {
    console.error(
      `tests: apt-get failed, tests that need ${missingPeers(missing).join(", ")} are skipped:\n` +
        new TextDecoder().decode(install.stderr).trim(),
    );
  }
}

async function whichAptGet(): Promise<string | null> {
  for (const p of ["/usr/bin/apt-get", "/bin/apt-get"]) {
    if (await Deno.stat(p).then(() => true, () => false)) return p;
  }
  return null;
}

await installMissing();
const preset = Deno.env.get("DENORAY_CRYPTO");
const backends = preset ? [preset] : ["openssl", "node"];
const args = Deno.args.some((a) => !a.startsWith("-")) ? Deno.args : [...Deno.args, "tests/"];
let failed = false;
let skipLine: string | null = null;
for (const backend of backends) {
  const skips = await Deno.makeTempFile({ prefix: "denoray-skips-" });
  try {
    console.log(`::: deno test with DENORAY_CRYPTO=${backend}`);
    const child = new Deno.Command(Deno.execPath(), {
      args: [...TEST_FLAGS, ...args],
      env: { [SKIP_LOG_ENV]: skips, DENORAY_CRYPTO: backend },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    if (!(await child.status).success) failed = true;
    // The same tests skip under each backend: one line for the whole run.
    skipLine ??= skipSummary((await Deno.readTextFile(skips)).split("\n"));
  } finally {
    await Deno.remove(skips).catch(() => {});
  }
}
if (skipLine) console.log(skipLine);
Deno.exit(failed ? 1 : 0);
