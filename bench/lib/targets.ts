/** Targets behind the tunnel: a TCP echo server and an iperf3 server. */

/** A TCP echo server on 127.0.0.1 for latency, connection-rate and idle-connection runs. */
export class Echo implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;

  constructor() {
    this.#loop = this.#accept();
  }

  /** The bound port. */
  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let c: Deno.Conn;
      try {
        c = await this.#listener.accept();
      } catch {
        return;
      }
      this.#conns.add(c);
      (async () => {
        const buf = new Uint8Array(16384);
        try {
          for (let n = await c.read(buf); n !== null; n = await c.read(buf)) {
            let o = 0;
            while (o < n) o += await c.write(buf.subarray(o, n));
          }
        } catch {
          // Reset.
        } finally {
          this.#conns.delete(c);
          try {
            c.close();
          } catch {
            // Closed.
          }
        }
      })();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // Closed.
      }
    }
    await this.#loop;
  }
}

/** An iperf3 server on 127.0.0.1:port. */
export async function iperfServer(port: number): Promise<AsyncDisposable> {
  const child = new Deno.Command("iperf3", {
    args: ["-s", "-B", "127.0.0.1", "-p", String(port)],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const { waitForPort } = await import("./procs.ts");
  await waitForPort(port);
  return {
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Gone.
      }
      await child.status;
    },
  };
}
