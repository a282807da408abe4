/** Spawning denoray (source or bundle) in tests, reading its log lines as they come. */

const ROOT = new URL("../../", import.meta.url).pathname;

/** A spawned process whose stderr lines can be awaited. */
export class Spawned implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly stdout: Promise<string>;
  #waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  #ended: Promise<void>;

  /** Spawns `cmd`; `env` replaces the default NO_COLOR=1, and `clearEnv` drops the inherited one. */
  constructor(
    cmd: string,
    args: string[],
    cwd = ROOT,
    { env = { NO_COLOR: "1" }, clearEnv = false }: {
      env?: Record<string, string>;
      clearEnv?: boolean;
    } = {},
  ) {
    this.child = new Deno.Command(cmd, {
      args,
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env,
      clearEnv,
    }).spawn();
    this.stdout = new Response(this.child.stdout).text();
    this.#ended = this.#pump();
  }

  async #pump(): Promise<void> {
    let rest = "";
    for await (const chunk of this.child.stderr.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      let i;
      while ((i = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, i);
        rest = rest.slice(i + 1);
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => {
          const m = line.match(w.re);
          if (m) w.resolve(m);
          return !m;
        });
      }
    }
    if (rest) this.lines.push(rest);
  }

  /** Resolves with the first stderr line (past or future) matching `re`; rejects if the process ends first. */
  waitFor(re: RegExp): Promise<RegExpMatchArray> {
    for (const l of this.lines) {
      const m = l.match(re);
      if (m) return Promise.resolve(m);
    }
    const { promise, resolve } = Promise.withResolvers<RegExpMatchArray>();
    this.#waiters.push({ re, resolve });
    const ended = this.#ended.then(() => {
      throw new Error(`process ended before ${re}; stderr:\n${this.lines.join("\n")}`);
    });
    return Promise.race([promise, ended]);
  }

  /** The exit status and the whole stderr. */
  async done(): Promise<{ code: number; stderr: string; stdout: string }> {
    const status = await this.child.status;
    await this.#ended;
    return { code: status.code, stderr: this.lines.join("\n"), stdout: await this.stdout };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.done();
  }
}

/** Runs denoray from source with the given arguments (and extra environment variables). */
export function spawnDenoray(args: string[], env: Record<string, string> = {}): Spawned {
  return new Spawned(
    Deno.execPath(),
    ["run", "-A", "--unstable-net", `${ROOT}main.ts`, ...args],
    ROOT,
    { env: { NO_COLOR: "1", ...env } },
  );
}

/** Runs a command to completion and returns its output. */
export async function runToEnd(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Writes `config` to a fresh temp file and returns its path. */
export async function writeTempConfig(config: unknown): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2));
  return path;
}
