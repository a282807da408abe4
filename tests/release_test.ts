/**
 * The release workflow cannot run here: it parses, it runs CI before building, and every command
 * it runs is a deno task or is written in the README. The compiled binaries, the launcher and
 * the systemd unit run with the same flags (the unit scoping reads and writes to its directories).
 */
import { parse } from "yaml";
import { assert, assertEquals } from "./assert.ts";
import { runToEnd } from "./helpers/process.ts";
import { UNIT_PATH, unitDirectives } from "./helpers/release.ts";
import { PERMISSION_FLAGS, RELEASE_TARGETS, UNSTABLE_FLAGS } from "../deploy/flags.ts";

const ROOT = new URL("../", import.meta.url).pathname;

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

async function workflow() {
  return parse(await Deno.readTextFile(`${ROOT}.github/workflows/release.yml`)) as {
    on: { push: { tags: string[] } };
    permissions: Record<string, string>;
    jobs: Record<string, { steps: Step[]; container?: string }>;
  };
}

/** Every line of every fenced code block in the README. */
async function readmeCodeLines(): Promise<Set<string>> {
  const text = await Deno.readTextFile(`${ROOT}README.md`);
  const lines = new Set<string>();
  for (const m of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    for (const l of m[1].split("\n")) lines.add(l.replace(/\s+#.*$/, "").trim());
  }
  return lines;
}

Deno.test("release workflow: on a version tag, CI first, then the assets with checksums", async () => {
  const w = await workflow();
  assertEquals(w.on.push.tags, ["v*"]);
  assertEquals(w.permissions.contents, "write");
  const steps = Object.values(w.jobs).flatMap((j) => j.steps);
  const runs = steps.filter((s) => s.run).map((s) => s.run!.trim());
  const ci = runs.indexOf(".ci/run");
  const release = runs.findIndex((r) => r.includes("task release"));
  assert(ci >= 0 && release > ci, `CI before the release build: ${runs.join(" | ")}`);
  const upload = steps.find((s) => s.uses?.startsWith("softprops/action-gh-release@"));
  assertEquals(upload?.with?.files, "release/*");
  // Actions are pinned to a major version at least.
  for (const s of steps) if (s.uses) assert(/@v\d+/.test(s.uses), s.uses);
});

Deno.test("release workflow: every command it runs is a deno task or in the README", async () => {
  const w = await workflow();
  const tasks = Object.keys(
    (JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as { tasks: object }).tasks,
  );
  const readme = await readmeCodeLines();
  const problems: string[] = [];
  for (const step of Object.values(w.jobs).flatMap((j) => j.steps)) {
    for (const line of (step.run ?? "").split("\n").map((l) => l.trim()).filter(Boolean)) {
      const task = /^(?:\.ci\/deno|deno|npx --yes deno@[\d.]+) task (\S+)/.exec(line)?.[1];
      if (task !== undefined ? !tasks.includes(task) : !readme.has(line)) problems.push(line);
      if (task !== undefined && !readme.has(line)) problems.push(`${line} (not in the README)`);
    }
  }
  assertEquals(problems, []);
});

Deno.test("release binaries: every target compiles with the launcher's flags; the unit scopes them", async () => {
  const dry = await runToEnd(Deno.execPath(), [
    "run",
    "--allow-all",
    "deploy/compile.ts",
    "--all",
    "--dry-run",
    "--out",
    "release",
  ]);
  assertEquals(dry.code, 0, dry.stderr);
  const lines = dry.stdout.trim().split("\n");
  assertEquals(lines.length, RELEASE_TARGETS.length);
  const version = (JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as { version: string })
    .version;
  for (const [i, t] of RELEASE_TARGETS.entries()) {
    const exe = t.includes("windows") ? ".exe" : "";
    assertEquals(
      lines[i],
      `deno compile ${[...PERMISSION_FLAGS, ...UNSTABLE_FLAGS].join(" ")} --target ${t} ` +
        `--output release/denoray-${version}-${t}${exe} main.ts`,
    );
  }
  // The launcher passes the same flags.
  const launcher = (await Deno.readTextFile(`${ROOT}deploy/denoray.sh`)).replace(/\\\n\s*/g, " ");
  const exec = /exec "\$here\/bin\/deno" run (.*) "\$here\/lib\/denoray\.js" "\$@"/.exec(launcher);
  assert(exec, "the launcher's exec line");
  const flags = exec[1].split(/\s+/).filter((f) =>
    f.startsWith("--allow-") || f.startsWith("--unstable")
  );
  assertEquals(flags.sort(), [...PERMISSION_FLAGS, ...UNSTABLE_FLAGS].sort());
  // The unit: the same, with reading and writing scoped to its own directories.
  const unitExec = unitDirectives(await Deno.readTextFile(UNIT_PATH))
    .find(([k]) => k === "ExecStart")![1].split(/\s+/)
    .filter((f) => f.startsWith("--allow-") || f.startsWith("--unstable"));
  assertEquals(
    unitExec.map((f) =>
      f.replace(/=\/(etc|var\/log)\/denoray,\/var\/lib\/denoray(,\/usr\/[a-z0-9/]+)*$/, "")
    ).sort(),
    [...PERMISSION_FLAGS, ...UNSTABLE_FLAGS].sort(),
  );
});
