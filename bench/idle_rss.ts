/**
 * Idle footprint: `deno run -A bench/idle_rss.ts [--runs 3] [--dir DIR] [--bundle FILE [--cold]]
 * [-- denoray args…]`. Runs `deno run -A --unstable-net V8FLAGS main.ts [args…] run -c
 * config.json` from DIR (default: this checkout; V8FLAGS: the release's, deploy/flags.ts) with the
 * default config's ports moved to free ones, waits for its startup line and 3 s more, and prints
 * VmRSS, RssAnon and RssFile from /proc (median of the runs) and the startup line's crypto part.
 * `--bundle FILE` runs a `deno task bundle` output as the launcher does (--no-config, no npm, the
 * release's flags) after one start that writes Deno's code cache for it; with `--cold` every start
 * gets an empty DENO_DIR (a first start after an install, which writes that cache). DENORAY_CRYPTO
 * is passed through (DENORAY_CRYPTO=node: no libcrypto loaded at all).
 */
import { parseArgs } from "node:util";
import { freePort } from "./lib/procs.ts";
import { RUNTIME_FLAGS } from "../deploy/flags.ts";

const { values, positionals } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    dir: { type: "string", default: new URL("../", import.meta.url).pathname },
    bundle: { type: "string" },
    cold: { type: "boolean", default: false },
  },
  allowPositionals: true,
});
const dir = values.dir!.replace(/\/?$/, "/");
const program = values.bundle
  ? ["--no-config", "--no-lock", "--no-remote", "--no-npm", values.bundle]
  : [`${dir}main.ts`];

async function statusKiB(pid: number): Promise<Record<string, number>> {
  const text = await Deno.readTextFile(`/proc/${pid}/status`);
  const out: Record<string, number> = {};
  for (const key of ["VmRSS", "RssAnon", "RssFile"]) {
    out[key] = Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
  }
  return out;
}

// The default config, on free ports.
let config = await Deno.readTextFile(`${dir}config.json`);
for (const port of new Set(config.match(/"port": (\d+)/g) ?? [])) {
  config = config.replaceAll(port, `"port": ${freePort()}`);
}
const path = await Deno.makeTempFile({ suffix: ".json" });
await Deno.writeTextFile(path, config);

const samples: Record<string, number>[] = [];
let line = "";
const dirs: string[] = [];
try {
  // A bundle's first start writes Deno's code cache for it; a warm measure starts after that one.
  for (let i = values.bundle && !values.cold ? -1 : 0; i < Number(values.runs); i++) {
    const env: Record<string, string> = { NO_COLOR: "1" };
    if (values.cold) dirs.push(env.DENO_DIR = await Deno.makeTempDir({ prefix: "deno-dir-" }));
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--unstable-net",
        ...RUNTIME_FLAGS,
        ...program,
        ...positionals,
        "run",
        "-c",
        path,
      ],
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env,
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!/denoray started[^\n]*\n/.test(seen)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`denoray exited before starting:\n${seen}`);
      seen += value;
    }
    line = /denoray started[^\n]*/.exec(seen)![0];
    await new Promise((r) => setTimeout(r, 3000));
    if (i >= 0) samples.push(await statusKiB(child.pid));
    child.kill("SIGTERM");
    await reader.cancel();
    await child.status;
  }
} finally {
  await Deno.remove(path);
  for (const d of dirs) await Deno.remove(d, { recursive: true });
}
const median = (key: string) => {
  const v = samples.map((s) => s[key]).sort((a, b) => a - b);
  return (v[Math.floor(v.length / 2)] / 1024).toFixed(1);
};
console.log(
  `idle RSS ${median("VmRSS")} MiB (anon ${median("RssAnon")}, file ${median("RssFile")}), ` +
    `median of ${samples.length}; ${line.replace(/^.*?; /, "")}`,
);
