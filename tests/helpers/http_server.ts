/** A local HTTP origin for proxy tests. */

/** Serves `body` at every path on 127.0.0.1 with an OS-chosen port. */
export class HttpOrigin implements AsyncDisposable {
  readonly server: Deno.HttpServer<Deno.NetAddr>;

  constructor(body: string) {
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) => new Response(`${body} ${new URL(req.url).pathname}`),
    );
  }

  /** The bound port. */
  get port(): number {
    return this.server.addr.port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.server.shutdown();
  }
}

/** Runs curl with `args`; returns its exit code and stdout. */
export async function curl(
  args: string[],
): Promise<{ code: number; body: string; status: string }> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "--max-time", "20", "-w", "\n%{http_code}", ...args],
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const i = text.lastIndexOf("\n");
  return { code: out.code, body: text.slice(0, i), status: text.slice(i + 1) };
}
