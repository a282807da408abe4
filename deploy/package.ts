/**
 * `deno task package`: the offline release for linux x64 in dist/: a directory
 * denoray-VERSION-linux-x64/ and its .tar.gz (with a .sha256 beside it), holding
 *
 *   denoray              the launcher (deploy/denoray.sh)
 *   lib/denoray.js       the bundle (deno bundle)
 *   bin/deno             the Deno runtime from npm (@deno/linux-x64-glibc, the package that
 *                        `npx deno` uses), of the version the README's test command pins
 *   bin/LICENSE.deno     Deno's licence (from the npm package deno)
 *   denoray.service      the systemd unit (deploy/denoray.service)
 *   config.example.json  an example server config (deploy/config.example.json)
 *   SHA256SUMS           of every file above (`sha256sum -c SHA256SUMS`)
 *
 * The runtime comes through npm's own client (`npm pack`, from its cache when it is there), so
 * it is the binary npm's registry signs off with its integrity hash, never a copy of whatever
 * `deno` is on PATH. Usage: deno task package [--out DIR]
 */
import { createHash } from "node:crypto";

const ROOT = new URL("../", import.meta.url).pathname;
const TARGET = "linux-x64";
const NPM_RUNTIME = "@deno/linux-x64-glibc";

/** Runs a command in `cwd`; returns stdout, throws with stderr on failure. */
async function run(cmd: string, args: string[], cwd = ROOT): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdin: "null" }).output().catch((e) => {
    throw new Error(`cannot run ${cmd}: ${(e as Error).message}`);
  });
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${dec.decode(out.stderr).trim()}`);
  }
  return dec.decode(out.stdout);
}

/** The Deno version the README's quick-start test command pins (what CI runs). */
async function pinnedDenoVersion(): Promise<string> {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const m = /^npx --yes deno@([0-9.]+) task test/m.exec(readme);
  if (!m) throw new Error("README.md has no 'npx --yes deno@X task test' line");
  return m[1];
}

/** Fetches `spec` with `npm pack` into `dir` and unpacks it; returns the package directory. */
async function npmPackage(spec: string, dir: string): Promise<string> {
  const json = await run("npm", [
    "pack",
    spec,
    "--json",
    "--prefer-offline",
    "--silent",
    "--pack-destination",
    dir,
  ], dir);
  const [{ filename }] = JSON.parse(json) as { filename: string }[];
  const into = `${dir}/${filename.replace(/\.tgz$/, "")}`;
  await Deno.mkdir(into);
  await run("tar", ["-xzf", `${dir}/${filename}`, "-C", into]);
  return `${into}/package`;
}

async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

async function* files(dir: string, prefix = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) yield* files(`${dir}/${e.name}`, `${prefix}${e.name}/`);
    else yield `${prefix}${e.name}`;
  }
}

/** Builds the release; returns the paths of the directory and the tarball. */
export async function buildPackage(outDir: string): Promise<{ dir: string; tarball: string }> {
  const version = (JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as { version: string })
    .version;
  const denoVersion = await pinnedDenoVersion();
  const name = `denoray-${version}-${TARGET}`;
  const dir = `${outDir}/${name}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${dir}/bin`, { recursive: true });
  await Deno.mkdir(`${dir}/lib`, { recursive: true });

  await run(Deno.execPath(), ["bundle", "--quiet", "--output", `${dir}/lib/denoray.js`, "main.ts"]);

  const tmp = await Deno.makeTempDir({ prefix: "denoray-package-" });
  try {
    const runtime = await npmPackage(`${NPM_RUNTIME}@${denoVersion}`, tmp);
    await Deno.copyFile(`${runtime}/deno`, `${dir}/bin/deno`);
    await Deno.chmod(`${dir}/bin/deno`, 0o755);
    const deno = await npmPackage(`deno@${denoVersion}`, tmp);
    await Deno.copyFile(`${deno}/LICENSE`, `${dir}/bin/LICENSE.deno`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  const reported = await run(`${dir}/bin/deno`, ["--version"]);
  if (!reported.startsWith(`deno ${denoVersion} `)) {
    throw new Error(`${NPM_RUNTIME}@${denoVersion} reports ${reported.split("\n")[0]}`);
  }

  await Deno.copyFile(`${ROOT}deploy/denoray.sh`, `${dir}/denoray`);
  await Deno.chmod(`${dir}/denoray`, 0o755);
  await Deno.copyFile(`${ROOT}deploy/denoray.service`, `${dir}/denoray.service`);
  await Deno.copyFile(`${ROOT}deploy/config.example.json`, `${dir}/config.example.json`);
  for (
    const f of ["denoray.service", "config.example.json", "lib/denoray.js", "bin/LICENSE.deno"]
  ) {
    await Deno.chmod(`${dir}/${f}`, 0o644);
  }

  const listed = [];
  for await (const f of files(dir)) listed.push(f);
  listed.sort();
  const sums = await Promise.all(
    listed.map(async (f) => `${await sha256File(`${dir}/${f}`)}  ${f}`),
  );
  await Deno.writeTextFile(`${dir}/SHA256SUMS`, sums.join("\n") + "\n");

  // Reproducible archive: fixed order, owner and time (the commit's, when there is one).
  const commitTime = await run("git", ["log", "-1", "--format=%ct"]).catch(() => "0");
  const tarball = `${outDir}/${name}.tar.gz`;
  await run("tar", [
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    `--mtime=@${commitTime.trim() || "0"}`,
    "-czf",
    tarball,
    "-C",
    outDir,
    name,
  ]);
  await Deno.writeTextFile(`${tarball}.sha256`, `${await sha256File(tarball)}  ${name}.tar.gz\n`);
  return { dir, tarball };
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--out");
  const out = i >= 0 ? Deno.args[i + 1] : `${ROOT}dist`;
  if (!out) throw new Error("--out needs a directory");
  try {
    await Deno.mkdir(out, { recursive: true });
    const { dir, tarball } = await buildPackage(await Deno.realPath(out));
    console.log(`${dir}\n${tarball}`);
  } catch (e) {
    console.error(`package: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
