/**
 * `deno task release --out DIR`: everything a tagged release attaches, in DIR: the compiled
 * binaries for every release target (deploy/compile.ts), the linux x64 package tarball
 * (deploy/package.ts), and SHA256SUMS over all of them. `--dry-run` prints the compile commands
 * and builds nothing. Needs the network (deno compile downloads its runtime base per target).
 */
import { createHash } from "node:crypto";
import { compile } from "./compile.ts";
import { RELEASE_TARGETS } from "./flags.ts";
import { buildPackage } from "./package.ts";

const i = Deno.args.indexOf("--out");
const out = i >= 0 ? Deno.args[i + 1] : undefined;
const dryRun = Deno.args.includes("--dry-run");
if (!out) {
  console.error("release: --out DIR is required");
  Deno.exit(2);
}
try {
  await Deno.mkdir(out, { recursive: true });
  await release(await Deno.realPath(out));
} catch (e) {
  console.error(`release: ${(e as Error).message}`);
  Deno.exit(1);
}

async function release(outDir: string): Promise<void> {
  await compile(RELEASE_TARGETS, outDir, dryRun);
  if (dryRun) return;
  // The package is built aside; only its tarball (and .sha256) is an asset.
  const tmp = await Deno.makeTempDir({ prefix: "denoray-release-" });
  try {
    const { tarball } = await buildPackage(tmp);
    const name = tarball.split("/").pop()!;
    await Deno.copyFile(tarball, `${outDir}/${name}`);
    await Deno.copyFile(`${tarball}.sha256`, `${outDir}/${name}.sha256`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  const lines: string[] = [];
  const names: string[] = [];
  for await (const e of Deno.readDir(outDir)) {
    if (e.isFile && e.name !== "SHA256SUMS" && !e.name.endsWith(".sha256")) names.push(e.name);
  }
  for (const n of names.sort()) {
    const hash = createHash("sha256").update(await Deno.readFile(`${outDir}/${n}`)).digest("hex");
    lines.push(`${hash}  ${n}`);
  }
  await Deno.writeTextFile(`${outDir}/SHA256SUMS`, lines.join("\n") + "\n");
  console.log(lines.join("\n"));
}
