/**
 * The accept loop every TCP inbound shares: binds through a listen stack, caps live connections,
 * opens each connection's layers under a deadline, runs a task per connection, closes with grace.
 */
import type { Logger } from "../log/mod.ts";
import { withDeadline } from "./deadline.ts";
import { type InboundConnection, type ListenStack, peerOf } from "./listen_stack.ts";
import { setNoDelay } from "./tcp.ts";

/** Live connections one listener holds at most (running out of fds panics Deno). */
export const MAX_CONNECTIONS = 4096;

/** What a listener group needs besides its handler. */
export interface ListenerOptions {
  /** Names the inbound in log lines ("vmess in-tag"). */
  readonly name: string;
  /** Binds and opens connections (plain TCP, or layered). */
  readonly stack: ListenStack;
  /** How long the stack's layers may take to open one connection, ms. */
  readonly openMs: number;
  /** Where failures to open a connection are logged. */
  readonly logger: Logger;
}

/** Listens on every port of a range and runs `handle` for each connection. */
export class TcpListenerGroup {
  readonly #listeners: Deno.Listener[] = [];
  readonly #live = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #loops: Promise<void>[] = [];
  readonly #handle: (conn: InboundConnection) => Promise<void>;
  readonly #opts: ListenerOptions;
  #accepted = 0;

  /** A group whose connections go to `handle` (it must not reject; the group closes them after). */
  constructor(opts: ListenerOptions, handle: (conn: InboundConnection) => Promise<void>) {
    this.#opts = opts;
    this.#handle = handle;
  }

  /** Binds `hostname` on each port from..to (0 picks a free port). */
  listen(hostname: string, from: number, to: number): void {
    try {
      for (let p = from; p <= to; p++) {
        const l = this.#opts.stack.listen(hostname, p);
        this.#listeners.push(l);
        this.#loops.push(this.#accept(l));
      }
    } catch (e) {
      this.#closeListeners();
      throw new Error(
        `${this.#opts.name}: cannot listen on ${hostname}:${from}${to > from ? `-${to}` : ""}: ${
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

  async #accept(l: Deno.Listener): Promise<void> {
    const { name, logger } = this.#opts;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await l.accept();
      } catch {
        return; // Listener closed.
      }
      if (this.#live.size >= MAX_CONNECTIONS) {
        logger.warning(`${name}: ${MAX_CONNECTIONS} connections open, refusing one`);
        conn.close();
        continue;
      }
      this.#accepted++;
      this.#live.add(conn);
      setNoDelay(conn);
      const task = this.#serve(conn)
        .catch((e) => logger.warning(`${name}: ${(e as Error).message}`))
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

  // The stack's layers first (bounded in time: a client that never finishes them is closed),
  // then the inbound's handler.
  async #serve(conn: Deno.Conn): Promise<void> {
    const { name, stack, openMs, logger } = this.#opts;
    let opened: InboundConnection;
    try {
      opened = await withDeadline(conn, openMs, () => stack.open(conn));
    } catch (e) {
      const peer = peerOf(conn);
      logger.info(`${name}: ${peer.address}:${peer.port}: ${(e as Error).message}`);
      return;
    }
    try {
      await this.#handle(opened);
    } finally {
      opened.stream.close();
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
