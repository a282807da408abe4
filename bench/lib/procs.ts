/** Starting the two programs under test, each on a V2Ray-format config, and reading their RSS. */
import { RUNTIME_FLAGS } from "../../deploy/flags.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Which implementation plays a role. */
export type Impl = "denoray" | "v2ray";

/** A running proxy process. */
export interface Proc extends AsyncDisposable {
  /** Its PID (for RSS). */
  readonly pid: number;
  /** Asks it to exit (SIGTERM) and waits, so that exit-time output such as a CPU profile is written. */
  stop(): Promise<void>;
}

/** A port the OS just handed out on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Polls until 127.0.0.1:port accepts, for at most ~10 s. */
export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`port ${port} did not open`);
}

/**
 * Starts `impl` on `config` and waits for `port`; `denoFlags` go to `deno run` (e.g. --cpu-prof).
 * denoray runs from this checkout with the release's V8 flags (deploy/flags.ts), so figures are
 * those of the launcher and the unit.
 */
export async function start(
  impl: Impl,
  config: unknown,
  port: number,
  denoFlags: readonly string[] = [],
): Promise<Proc> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(config));
  const cmd = impl === "v2ray"
    ? new Deno.Command("v2ray", {
      args: ["-config", path],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    })
    : new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--unstable-net",
        ...RUNTIME_FLAGS,
        ...denoFlags,
        `${ROOT}main.ts`,
        "run",
        "-c",
        path,
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    });
  const child = cmd.spawn();
  const proc: Proc = {
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
      await Deno.remove(path).catch(() => {});
    },
  };
  try {
    await waitForPort(port);
  } catch (e) {
    await proc[Symbol.asyncDispose]();
    throw e;
  }
  return proc;
}

/** Resident set size of a process in KiB (VmRSS). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** CPU time (user + system) a process has used so far, in ms; /proc counts 100 ticks a second. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
