/**
 * Idle footprint: `deno run -A bench/idle_rss.ts [--runs 3] [--dir DIR] [-- denoray args…]`.
 * Runs `deno run -A main.ts [args…] run -c config.json` from DIR (default: this checkout) with the
 * default config's ports moved to free ones, waits for its startup line and 3 s more, and prints
 * VmRSS, RssAnon and RssFile from /proc (median of the runs) and the startup line's crypto part.
 * DENORAY_CRYPTO is passed through (DENORAY_CRYPTO=node: no libcrypto loaded at all).
 */
import { parseArgs } from "node:util";
import { freePort } from "./lib/procs.ts";

const { values, positionals } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    dir: { type: "string", default: new URL("../", import.meta.url).pathname },
  },
  allowPositionals: true,
});
const dir = values.dir!.replace(/\/?$/, "/");

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
try {
  for (let i = 0; i < Number(values.runs); i++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}main.ts`, ...positionals, "run", "-c", path],
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
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
    samples.push(await statusKiB(child.pid));
    child.kill("SIGTERM");
    await reader.cancel();
    await child.status;
  }
} finally {
  await Deno.remove(path);
}
const median = (key: string) => {
  const v = samples.map((s) => s[key]).sort((a, b) => a - b);
  return (v[Math.floor(v.length / 2)] / 1024).toFixed(1);
};
console.log(
  `idle RSS ${median("VmRSS")} MiB (anon ${median("RssAnon")}, file ${median("RssFile")}), ` +
    `median of ${samples.length}; ${line.replace(/^.*?; /, "")}`,
);
