/** The TCP accept loop every inbound shares: a connection cap, per-connection tasks, graceful close. */
import { setNoDelay } from "../net/tcp.ts";
import type { Logger } from "../log/mod.ts";

/** Live connections one listener holds at most (running out of fds panics Deno). */
export const MAX_CONNECTIONS = 4096;

/** Listens on every port of a range and runs `handle` for each connection. */
export class TcpListenerGroup {
  readonly #listeners: Deno.TcpListener[] = [];
  readonly #live = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #loops: Promise<void>[] = [];
  readonly #handle: (conn: Deno.Conn) => Promise<void>;
  readonly #logger: Logger;
  readonly #name: string;
  #accepted = 0;

  /** A group whose connections go to `handle` (which must close them; it must not reject). */
  constructor(name: string, handle: (conn: Deno.Conn) => Promise<void>, logger: Logger) {
    this.#name = name;
    this.#handle = handle;
    this.#logger = logger;
  }

  /** Binds `hostname` on each port from..to (0 picks a free port). */
  listen(hostname: string, from: number, to: number): void {
    try {
      for (let p = from; p <= to; p++) {
        const l = Deno.listen({ hostname, port: p, transport: "tcp" });
        this.#listeners.push(l);
        this.#loops.push(this.#accept(l));
      }
    } catch (e) {
      this.#closeListeners();
      throw new Error(
        `${this.#name}: cannot listen on ${hostname}:${from}${to > from ? `-${to}` : ""}: ${
          (e as Error).message
        }`,
      );
    }
  }

  /** Connections accepted so far. */
  get accepted(): number {
    return this.#accepted;
  }

  /** "tcp host:port" per bound listener. */
  addresses(): string[] {
    return this.#listeners.map((l) => {
      const a = l.addr as Deno.NetAddr;
      return `tcp ${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}`;
    });
  }

  async #accept(l: Deno.TcpListener): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await l.accept();
      } catch {
        return; // Listener closed.
      }
      if (this.#live.size >= MAX_CONNECTIONS) {
        this.#logger.warning(`${this.#name}: ${MAX_CONNECTIONS} connections open, refusing one`);
        conn.close();
        continue;
      }
      this.#accepted++;
      this.#live.add(conn);
      setNoDelay(conn);
      const task = this.#handle(conn)
        .catch((e) => this.#logger.warning(`${this.#name}: ${(e as Error).message}`))
        .finally(() => {
          this.#live.delete(conn);
          this.#tasks.delete(task);
          try {
            conn.close();
          } catch {
            // Already closed by the handler.
          }
        });
      this.#tasks.add(task);
    }
  }

  #closeListeners(): void {
    for (const l of this.#listeners.splice(0)) {
      try {
        l.close();
      } catch {
        // Already closed.
      }
    }
  }

  /** Stops accepting, waits up to `graceMs` for live connections, then closes them. */
  async close(graceMs: number): Promise<void> {
    this.#closeListeners();
    await Promise.all(this.#loops);
    if (this.#tasks.size > 0 && graceMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((r) => timer = setTimeout(r, graceMs));
      await Promise.race([Promise.all(this.#tasks), grace]);
      clearTimeout(timer);
    }
    for (const c of this.#live) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
    await Promise.all(this.#tasks);
  }
}
