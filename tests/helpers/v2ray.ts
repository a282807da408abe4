/** Running the real V2Ray 4.34 (Debian's `v2ray`) as a test peer. */
import { waitForPort } from "./net.ts";

/** A running v2ray process. */
export class V2Ray implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #configPath: string;
  readonly #output: Promise<string>;

  private constructor(child: Deno.ChildProcess, configPath: string) {
    this.#child = child;
    this.#configPath = configPath;
    this.#output = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]).then(([a, b]) => a + b);
  }

  /** Starts `v2ray -config` on `config` and waits until every port in `ports` accepts connections. */
  static async start(
    config: unknown,
    ports: number[],
    env: Record<string, string> = {},
  ): Promise<V2Ray> {
    const path = await Deno.makeTempFile({ suffix: ".json" });
    await Deno.writeTextFile(path, JSON.stringify(config));
    const child = new Deno.Command("v2ray", {
      args: ["-config", path],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env,
    }).spawn();
    const v = new V2Ray(child, path);
    try {
      for (const p of ports) await waitForPort(p);
    } catch (e) {
      await v[Symbol.asyncDispose]();
      throw new Error(`v2ray did not start: ${(e as Error).message}\n${await v.#output}`);
    }
    return v;
  }

  /** Everything v2ray printed (after it has been stopped). */
  output(): Promise<string> {
    return this.#output;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.#child.status;
    await this.#output;
    await Deno.remove(this.#configPath).catch(() => {});
  }
}
