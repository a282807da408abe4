/**
 * The accept loop every TCP inbound shares: binds through a listen stack, admits connections
 * through the process's connection gate, opens each connection's layers under a deadline, runs a
 * task per connection, survives descriptor exhaustion, closes with grace.
 */
import type { Logger } from "../log/mod.ts";
import type { ConnectionGate } from "./conn_gate.ts";
import { withDeadline } from "./deadline.ts";
import { type InboundConnection, type ListenStack, peerOf } from "./listen_stack.ts";
import { setNoDelay } from "./tcp.ts";

/** What every listener of a process shares. */
export interface ListenerServices {
  /** Where failures to accept or open a connection are logged. */
  readonly logger: Logger;
  /** The process's admission of connections (descriptor budget, handshake caps). */
  readonly gate: ConnectionGate;
  /** Called when a listener fails for good (not closed by us): the process should exit. */
  readonly onDead: (error: Error) => void;
}

/** What a listener group needs besides its handler. */
export interface ListenerOptions extends ListenerServices {
  /** Names the inbound in log lines ("vmess in-tag"). */
  readonly name: string;
  /** Binds and opens connections (plain TCP, or layered). */
  readonly stack: ListenStack;
  /** How long the stack's layers may take to open one connection, ms. */
  readonly openMs: number;
}

/** How an accept() failure is handled. */
export type AcceptFailure = "exhausted" | "transient" | "fatal";

// Out of descriptors or memory: accept works again once some are freed.
const EXHAUSTED = /\((os error (12|23|24|105))\)|too many open files/i;
// One connection's trouble (aborted before accept, a signal; reset before its address was read,
// as when haproxy drops a backend connection at once): accept again at once.
const TRANSIENT = /\((os error (1|4|71|103|104|107))\)/;

/** Classifies an error thrown by accept() on a listener we have not closed. */
export function classifyAcceptError(e: unknown): AcceptFailure {
  const msg = e instanceof Error ? e.message : String(e);
  if (EXHAUSTED.test(msg)) return "exhausted";
  if (TRANSIENT.test(msg)) return "transient";
  return "fatal";
}

/** First and last back-off after an accept() that ran out of descriptors, ms. */
export const ACCEPT_BACKOFF_MS = { first: 5, max: 1_000 } as const;

/** Listens on every port of a range and runs `handle` for each connection. */
export class TcpListenerGroup {
  readonly #listeners: Deno.Listener[] = [];
  readonly #live = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #loops: Promise<void>[] = [];
  #handle: (conn: InboundConnection) => Promise<void>;
  #opts: ListenerOptions;
  #accepted = 0;
  #closing = false;

  /** A group whose connections go to `handle` (it must not reject; the group closes them after). */
  constructor(opts: ListenerOptions, handle: (conn: InboundConnection) => Promise<void>) {
    this.#opts = opts;
    this.#handle = handle;
  }

  /** Binds `hostname` on each port from..to (0 picks a free port). */
  listen(hostname: string, from: number, to: number): void {
    this.#closing = false; // Binding again after stopAccepting() (a reload put back).
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

  /** Connections open now. */
  get active(): number {
    return this.#live.size;
  }

  /** "tcp host:port" per bound listener. */
  addresses(): string[] {
    return this.#listeners.map((l) => {
      const a = l.addr as Deno.NetAddr;
      return `tcp ${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}`;
    });
  }

  async #accept(l: Deno.Listener): Promise<void> {
    const { name, logger, gate, onDead } = this.#opts;
    let backoff = 0;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await l.accept();
      } catch (e) {
        if (this.#closing) return;
        const kind = classifyAcceptError(e);
        if (kind === "fatal") {
          onDead(new Error(`${name}: listener failed: ${(e as Error).message}`, { cause: e }));
          return;
        }
        if (kind === "exhausted") {
          gate.noteAcceptError();
          // One line per episode; the episode ends at the next accept that works.
          if (backoff === 0) {
            logger.warning(`${name}: accept: ${(e as Error).message}; backing off until it works`);
          }
          backoff = Math.min(
            backoff === 0 ? ACCEPT_BACKOFF_MS.first : backoff * 2,
            ACCEPT_BACKOFF_MS.max,
          );
          await new Promise((r) => setTimeout(r, backoff));
        }
        continue;
      }
      if (backoff > 0) {
        logger.warning(`${name}: accepting again`);
        backoff = 0;
      }
      const peer = peerOf(conn);
      const ticket = gate.admit(peer.address, () => closeQuietly(conn));
      if (!ticket) {
        closeQuietly(conn);
        continue;
      }
      this.#accepted++;
      this.#live.add(conn);
      setNoDelay(conn);
      const task = this.#serve(conn, ticket.established, this.#opts, this.#handle)
        .catch((e) => logger.warning(`${name}: ${(e as Error).message}`))
        .finally(() => {
          ticket.release();
          this.#live.delete(conn);
          this.#tasks.delete(task);
          closeQuietly(conn);
        });
      this.#tasks.add(task);
    }
  }

  // The stack's layers first (bounded in time: a client that never finishes them is closed),
  // then the inbound's handler.
  // Both are taken at accept: a connection keeps the handler it was accepted under (see retarget).
  async #serve(
    conn: Deno.Conn,
    established: () => void,
    opts: ListenerOptions,
    handle: (conn: InboundConnection) => Promise<void>,
  ): Promise<void> {
    const { name, stack, openMs, logger } = opts;
    let opened: InboundConnection;
    try {
      opened = { ...await withDeadline(conn, openMs, () => stack.open(conn)), established };
    } catch (e) {
      const peer = peerOf(conn);
      logger.info(`${name}: ${peer.address}:${peer.port}: ${(e as Error).message}`);
      return;
    }
    try {
      await handle(opened);
    } finally {
      opened.stream.close();
    }
  }

  #closeListeners(): void {
    this.#closing = true;
    for (const l of this.#listeners.splice(0)) closeQuietly(l);
  }

  // Reload (lib/app/instance.ts): an unchanged inbound keeps its listeners under a new handler;
  // a removed or changed one stops accepting while its live connections run on.

  /**
   * Connections accepted from now on go to `handle`, opened by `opts`' stack (whose listen side
   * must bind as the one these listeners were bound by); open ones keep what they had.
   */
  retarget(
    opts: Pick<ListenerOptions, "name" | "stack" | "openMs">,
    handle: (conn: InboundConnection) => Promise<void>,
  ): void {
    this.#opts = { ...this.#opts, ...opts };
    this.#handle = handle;
  }

  /** Closes the listeners (their ports are free again); live connections run on until close(). */
  async stopAccepting(): Promise<void> {
    this.#closeListeners();
    await Promise.all(this.#loops.splice(0));
  }

  /** Settles once no connection is open (after stopAccepting(): when the last one ends). */
  async whenIdle(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
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
    for (const c of this.#live) closeQuietly(c);
    await Promise.all(this.#tasks);
  }
}

function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch {
    // Already closed.
  }
}
