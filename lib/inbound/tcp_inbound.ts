/** The shared shape of TCP inbounds: bind a port range, serve each connection, close with grace. */
import type { Inbound } from "../core/handlers.ts";
import type { InboundConnection, ListenerServices, ListenStack } from "../net/mod.ts";
import { TcpListenerGroup } from "../net/mod.ts";

/** Where and how a TCP inbound listens. */
export interface TcpInboundOptions {
  /** The protocol, for log lines ("socks"). */
  readonly kind: string;
  /** The inbound's tag, if any. */
  readonly tag: string | undefined;
  /** The listen address. */
  readonly listen: string;
  /** The port range. */
  readonly port: { readonly from: number; readonly to: number };
  /** The transport layers every connection goes through. */
  readonly stack: ListenStack;
  /** How long those layers may take per connection (policy handshake), ms. */
  readonly openMs: number;
  /** The process's listener services (logger, connection gate). */
  readonly services: ListenerServices;
}

/** A TCP inbound; subclasses implement serve(). */
export abstract class TcpInbound implements Inbound {
  readonly tag: string;
  readonly #group: TcpListenerGroup;
  readonly #listen: string;
  readonly #port: { readonly from: number; readonly to: number };

  /** An inbound that will listen on `listen` at every port of `port`. */
  constructor(opts: TcpInboundOptions) {
    this.tag = opts.tag ?? "";
    this.#listen = opts.listen;
    this.#port = opts.port;
    this.#group = new TcpListenerGroup(
      {
        ...opts.services,
        name: `${opts.kind} ${this.tag}`,
        stack: opts.stack,
        openMs: opts.openMs,
      },
      (c) => this.serve(c),
    );
  }

  /** Handles one connection; the listener closes it afterwards. Must not reject. */
  protected abstract serve(conn: InboundConnection): Promise<void>;

  /** Binds the listeners. */
  start(): Promise<void> {
    this.#group.listen(this.#listen, this.#port.from, this.#port.to);
    return Promise.resolve();
  }

  /** Bound addresses. */
  addresses(): string[] {
    return this.#group.addresses();
  }

  /** Connections open now. */
  active(): number {
    return this.#group.active;
  }

  /** Closes listeners, then connections after the grace. */
  close(graceMs: number): Promise<void> {
    return this.#group.close(graceMs);
  }
}
