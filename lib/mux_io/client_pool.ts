/**
 * The Mux.Cool client: sub-connections spread over underlying connections as 4.34 spreads them
 * (`concurrency` at once per connection, 128 over a connection's life, closed at the first 16-s
 * check that finds it idle).
 */
import type { Destination } from "../core/destination.ts";
import type { PacketStream } from "../core/handlers.ts";
import type { ByteStream } from "../core/stream.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { DEFAULT_MUX_CONCURRENCY, MAX_MUX_CONCURRENCY } from "../mux/mod.ts";
import { MuxConnection } from "./connection.ts";
import { MuxError } from "./errors.ts";
import { type MuxLimits, muxLimits } from "./limits.ts";
import { MuxPacketFlow } from "./packet_flow.ts";
import type { SubConnection } from "./sub_connection.ts";

/** Calls `onTick` every `everyMs` until the returned function is called. */
export type Ticker = (onTick: () => void, everyMs: number) => () => void;

/** setInterval as a Ticker. */
export const intervalTicker: Ticker = (onTick, everyMs) => {
  const handle = setInterval(onTick, everyMs);
  return () => clearInterval(handle);
};

/** 4.34's `MaxConnection`: sub-connections one underlying connection carries over its life. */
export const MAX_SUB_CONNECTIONS_PER_CONNECTION = 128;
/** 4.34's idle check period of an underlying connection, ms. */
export const IDLE_CHECK_MS = 16_000;

/** How the pool spreads and retires underlying connections. */
export interface MuxClientOptions {
  /** Sub-connections at once per underlying connection, 1..1024 (default 8). */
  readonly concurrency?: number;
  /** Sub-connections per underlying connection over its life (default 128). */
  readonly maxPerConnection?: number;
  /** Period of the idle check (default 16 000 ms). */
  readonly idleCheckMs?: number;
  /** Bounds of each underlying connection. */
  readonly limits?: Partial<MuxLimits>;
  /** Where a connection's failure is logged (once). */
  readonly logger?: Logger;
  /** Runs the idle checks (tests pass a manual one). */
  readonly ticker?: Ticker;
}

// One underlying connection: dialed at once, used once the dial succeeds.
interface Carrier {
  readonly ready: Promise<MuxConnection>;
  connection: MuxConnection | null;
  // Opens waiting for the dial, which count against the concurrency.
  waiting: number;
  // Sub-connections ever assigned to it.
  total: number;
  // Takes no new sub-connections (idle-closed, or the pool closed).
  retired: boolean;
  stopTicker: () => void;
}

/**
 * Opens sub-connections through Mux.Cool over underlying connections it dials with `dial`. `C` is
 * what an open passes to the dial it causes (for an outbound: the session that needed it).
 */
export class MuxClientPool<C = void> {
  readonly #dial: (context: C) => Promise<ByteStream>;
  readonly #concurrency: number;
  readonly #maxPerConnection: number;
  readonly #idleCheckMs: number;
  readonly #limits: MuxLimits;
  readonly #logger: Logger;
  readonly #ticker: Ticker;
  readonly #carriers: Carrier[] = [];
  #closed = false;

  /**
   * A pool whose `dial` opens one underlying stream to the server (for VMess: a connection to
   * MUX_COOL_DESTINATION, i.e. command Mux).
   */
  constructor(dial: (context: C) => Promise<ByteStream>, options: MuxClientOptions = {}) {
    const concurrency = options.concurrency ?? DEFAULT_MUX_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_MUX_CONCURRENCY) {
      throw new RangeError(`mux concurrency must be 1 to ${MAX_MUX_CONCURRENCY}: ${concurrency}`);
    }
    this.#dial = dial;
    this.#concurrency = concurrency;
    this.#maxPerConnection = options.maxPerConnection ?? MAX_SUB_CONNECTIONS_PER_CONNECTION;
    this.#idleCheckMs = options.idleCheckMs ?? IDLE_CHECK_MS;
    this.#limits = muxLimits(options.limits);
    this.#logger = options.logger ?? silentLogger;
    this.#ticker = options.ticker ?? intervalTicker;
  }

  /** Underlying connections that take new sub-connections (open or being dialed). */
  get connections(): number {
    return this.#carriers.filter((c) => !c.retired).length;
  }

  /**
   * A TCP sub-connection to `destination`; rejects if the underlying connection it needs cannot be
   * dialed (a dial it causes is given `context`).
   */
  async openStream(destination: Destination, context: C): Promise<ByteStream> {
    return await this.#open({ ...destination, network: "tcp" }, context);
  }

  /** A UDP sub-connection whose peer is `destination` (as openStream otherwise). */
  async openPackets(destination: Destination, context: C): Promise<PacketStream> {
    const sub = await this.#open({ ...destination, network: "udp" }, context);
    return new MuxPacketFlow(sub, this.#logger);
  }

  /** Closes every underlying connection now, aborting their sub-connections. */
  close(): void {
    this.#closed = true;
    for (const c of [...this.#carriers]) {
      c.retired = true;
      c.connection?.close();
      this.#forget(c);
    }
  }

  async #open(destination: Destination, context: C): Promise<SubConnection> {
    // A connection can fail between its dial and this open; then one other try (4.34 tries 16).
    for (let attempt = 0;; attempt++) {
      if (this.#closed) throw new MuxError("closed", "mux pool closed");
      const carrier = this.#pick(context);
      carrier.waiting++;
      carrier.total++;
      let connection: MuxConnection;
      try {
        connection = await carrier.ready;
      } finally {
        carrier.waiting--;
      }
      if (connection.usable || attempt > 0) return connection.open(destination);
    }
  }

  // The first connection with room, as 4.34 picks; a new one when none has.
  #pick(context: C): Carrier {
    for (const c of this.#carriers) {
      const live = c.waiting + (c.connection?.active ?? 0);
      const usable = c.connection === null || c.connection.usable;
      if (!c.retired && usable && c.total < this.#maxPerConnection && live < this.#concurrency) {
        return c;
      }
    }
    return this.#newCarrier(context);
  }

  #newCarrier(context: C): Carrier {
    const carrier: Carrier = {
      ready: Promise.resolve(context).then(this.#dial).then((stream) => {
        const connection = new MuxConnection(stream, {
          role: "client",
          limits: this.#limits,
          logger: this.#logger,
        });
        carrier.connection = connection;
        connection.finished.then((outcome) => {
          this.#forget(carrier);
          if (outcome.error !== undefined) {
            this.#logger.info(`mux: connection closed: ${errorText(outcome.error)}`);
          }
        });
        if (this.#closed) connection.close();
        return connection;
      }),
      connection: null,
      waiting: 0,
      total: 0,
      retired: false,
      stopTicker: () => {},
    };
    carrier.ready.catch(() => this.#forget(carrier));
    carrier.stopTicker = this.#ticker(() => this.#check(carrier), this.#idleCheckMs);
    this.#carriers.push(carrier);
    return carrier;
  }

  // 4.34's monitor: a connection with no sub-connection at a check is closed. Ours ends its side
  // and waits for the server's end; one still not over at the next check is closed outright.
  #check(c: Carrier): void {
    if (c.retired) return c.connection?.close();
    if (c.waiting > 0 || c.connection === null) return;
    if (c.connection.closeIdle()) c.retired = true;
  }

  #forget(c: Carrier): void {
    c.retired = true;
    c.stopTicker();
    const i = this.#carriers.indexOf(c);
    if (i >= 0) this.#carriers.splice(i, 1);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
