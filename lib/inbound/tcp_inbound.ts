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
  #group: TcpListenerGroup;
  readonly #listen: string;
  readonly #port: { readonly from: number; readonly to: number };
  readonly #serving: { name: string; stack: ListenStack; openMs: number };
  // Bound already: listeners taken over from the inbound this one replaced at a reload.
  #taken = false;
  // Gave its listeners to the inbound that replaced it: nothing of them is its own any more.
  #given = false;

  /** An inbound that will listen on `listen` at every port of `port`. */
  constructor(opts: TcpInboundOptions) {
    this.tag = opts.tag ?? "";
    this.#listen = opts.listen;
    this.#port = opts.port;
    this.#serving = { name: `${opts.kind} ${this.tag}`, stack: opts.stack, openMs: opts.openMs };
    this.#group = new TcpListenerGroup(
      { ...opts.services, ...this.#serving },
      (c) => this.serve(c),
    );
  }

  /** Handles one connection; the listener closes it afterwards. Must not reject. */
  protected abstract serve(conn: InboundConnection): Promise<void>;

  /** Binds the listeners (unless it took them over at a reload). */
  start(): Promise<void> {
    if (!this.#taken) this.#group.listen(this.#listen, this.#port.from, this.#port.to);
    return Promise.resolve();
  }

  /** Bound addresses. */
  addresses(): string[] {
    return this.#given ? [] : this.#group.addresses();
  }

  /** Connections open now. */
  active(): number {
    return this.#given ? 0 : this.#group.active;
  }

  /** Closes listeners, then connections after the grace. */
  close(graceMs: number): Promise<void> {
    return this.#given ? Promise.resolve() : this.#group.close(graceMs);
  }

  /** Closes the listeners; live connections run on. */
  stopAccepting(): Promise<void> {
    return this.#given ? Promise.resolve() : this.#group.stopAccepting();
  }

  /** Settles once no connection is open. */
  whenIdle(): Promise<void> {
    return this.#given ? Promise.resolve() : this.#group.whenIdle();
  }

  /** Takes over `previous`'s listeners (and the connections open on them, for close()). */
  takeListeners(previous: Inbound): void {
    const alike = previous instanceof TcpInbound && previous.constructor === this.constructor;
    if (!alike || previous.#given) {
      throw new TypeError(`inbound ${this.tag}: cannot take over the listeners of ${previous.tag}`);
    }
    previous.#given = true;
    this.#group = previous.#group;
    this.#group.retarget(this.#serving, (c) => this.serve(c));
    this.#taken = true;
  }

  /** Nothing to take over by default (VMess inbounds take their replay filters). */
  inherit(_previous: Inbound): void {}
}
