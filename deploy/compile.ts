/**
 * `deno task compile`: single-file executables with `deno compile`, with the flags of
 * deploy/flags.ts baked in. Without arguments: dist/denoray for this machine. With
 * `--target T` (repeatable) or `--all` (every release target): OUT/denoray-VERSION-T(.exe).
 * `--out DIR` picks the directory, `--dry-run` prints the commands instead of running them.
 * deno compile downloads Deno's runtime base (denort) per target, so it needs the network.
 */
import { PERMISSION_FLAGS, RELEASE_TARGETS, type ReleaseTarget, UNSTABLE_FLAGS } from "./flags.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The `deno compile` arguments for `target` (this machine's when undefined) into `output`. */
export function compileArgs(output: string, target?: ReleaseTarget): string[] {
  return [
    "compile",
    ...PERMISSION_FLAGS,
    ...UNSTABLE_FLAGS,
    ...(target ? ["--target", target] : []),
    "--output",
    output,
    "main.ts",
  ];
}

/** The file name of the release binary for `target`. */
export function binaryName(version: string, target: ReleaseTarget): string {
  return `denoray-${version}-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** Compiles each of `targets` (or this machine's) into `outDir`; returns the files written. */
export async function compile(
  targets: readonly ReleaseTarget[],
  outDir: string,
  dryRun = false,
): Promise<string[]> {
  const version = (JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as { version: string })
    .version;
  const jobs = targets.length === 0
    ? [{ output: `${outDir}/denoray`, target: undefined }]
    : targets.map((t) => ({ output: `${outDir}/${binaryName(version, t)}`, target: t }));
  for (const { output, target } of jobs) {
    const args = compileArgs(output, target);
    if (dryRun) {
      console.log(["deno", ...args].join(" "));
      continue;
    }
    const r = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdin: "null" }).output();
    if (!r.success) {
      throw new Error(`deno ${args.join(" ")} failed:\n${new TextDecoder().decode(r.stderr)}`);
    }
  }
  return jobs.map((j) => j.output);
}

if (import.meta.main) {
  const args = [...Deno.args];
  const targets: ReleaseTarget[] = [];
  let out = `${ROOT}dist`, dryRun = false;
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === "--all") targets.push(...RELEASE_TARGETS);
    else if (a === "--dry-run") dryRun = true;
    else if (a === "--out") out = args.shift() ?? "";
    else if (a === "--target") {
      const t = args.shift() ?? "";
      if (!(RELEASE_TARGETS as readonly string[]).includes(t)) {
        console.error(`compile: --target is one of ${RELEASE_TARGETS.join(", ")}`);
        Deno.exit(2);
      }
      targets.push(t as ReleaseTarget);
    } else {
      console.error(`compile: unknown argument ${a}`);
      Deno.exit(2);
    }
  }
  try {
    if (!dryRun) await Deno.mkdir(out, { recursive: true });
    for (const f of await compile(targets, out, dryRun)) if (!dryRun) console.log(f);
  } catch (e) {
    console.error(`compile: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
