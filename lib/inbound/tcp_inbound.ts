/** The shared shape of TCP inbounds: bind a port range, serve each connection, close with grace. */
import type { Inbound } from "../core/handlers.ts";
import type { Logger } from "../log/mod.ts";
import { TcpListenerGroup } from "./tcp_listener.ts";

/** A TCP inbound; subclasses implement serve(). */
export abstract class TcpInbound implements Inbound {
  readonly tag: string;
  readonly #group: TcpListenerGroup;
  readonly #listen: string;
  readonly #port: { readonly from: number; readonly to: number };

  /** An inbound named `kind tag` that will listen on `listen` at every port of `port`. */
  constructor(
    kind: string,
    tag: string | undefined,
    listen: string,
    port: { readonly from: number; readonly to: number },
    logger: Logger,
  ) {
    this.tag = tag ?? "";
    this.#listen = listen;
    this.#port = port;
    this.#group = new TcpListenerGroup(`${kind} ${this.tag}`, (c) => this.serve(c), logger);
  }

  /** Handles one accepted connection; the listener closes it afterwards. Must not reject. */
  protected abstract serve(conn: Deno.Conn): Promise<void>;

  /** Binds the listeners. */
  start(): Promise<void> {
    this.#group.listen(this.#listen, this.#port.from, this.#port.to);
    return Promise.resolve();
  }

  /** Bound addresses. */
  addresses(): string[] {
    return this.#group.addresses();
  }

  /** Closes listeners, then connections after the grace. */
  close(graceMs: number): Promise<void> {
    return this.#group.close(graceMs);
  }
}
