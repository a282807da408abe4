/** A running denoray: the inbounds, outbounds and router a config describes. */
import type { Config } from "../config/mod.ts";
import { resolvePolicy } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import type { Logger } from "../log/mod.ts";
import { createInbound } from "../inbound/mod.ts";
import { createOutbound } from "../outbound/mod.ts";
import { ChainDialer, directDialer } from "../net/mod.ts";
import { createRouter } from "../routing/mod.ts";
import { RoutingDispatcher } from "../engine/dispatcher.ts";
import { type MetricsEndpoint, serveMetrics, TrafficStats } from "../stats/mod.ts";
import type { InstanceContext } from "../engine/context.ts";
import { checkUdp } from "./udp_support.ts";
import { type Clock, OffsetClock, systemClock } from "../core/clock.ts";
import { NtpSync } from "../engine/ntp_sync.ts";

/** What an instance may be given besides its config. */
export interface InstanceOptions {
  /** The base clock, which NTP corrects when configured (the system clock; tests shift it). */
  readonly clock?: Clock;
}

/** Starts and stops everything a config describes. */
export class Instance {
  readonly #config: Config;
  readonly #logger: Logger;
  #inbounds: Inbound[] = [];
  #metrics: MetricsEndpoint | undefined;
  readonly #base: Clock;
  readonly #clock: OffsetClock;
  #ntp: NtpSync | undefined;
  /** Traffic counters, when the config enables stats (set by start()). */
  stats: TrafficStats | undefined;

  /** An instance of `config` logging to `logger`; nothing runs until start(). */
  constructor(config: Config, logger: Logger, options: InstanceOptions = {}) {
    this.#config = config;
    this.#logger = logger;
    this.#base = options.clock ?? systemClock;
    this.#clock = new OffsetClock(this.#base);
  }

  /** The clock offset NTP measured, ms (0 without an `ntp` section). */
  get clockOffsetMs(): number {
    return this.#clock.offsetMs;
  }

  /**
   * Builds the outbounds and binds every inbound, logging one line per listener. A protocol that
   * is not implemented yet, or a port that cannot be bound, stops everything and rejects.
   */
  async start(): Promise<void> {
    checkUdp(this.#config);
    const policy = resolvePolicy(this.#config.policy);
    this.stats = this.#config.stats ? new TrafficStats(policy) : undefined;
    const dispatcher = new RoutingDispatcher(createRouter(this.#config.routing), this.stats);
    const ctx: InstanceContext = {
      logger: this.#logger,
      policy,
      dispatcher,
      stats: this.stats,
      clock: this.#clock.now,
    };
    // proxySettings.tag: the outbound dials through another one, found when it dials.
    const lookup = (tag: string) => dispatcher.outbound(tag);
    dispatcher.setOutbounds(this.#config.outbounds.map((o) => {
      const via = o.proxySettings?.tag;
      const dialer = via === undefined
        ? directDialer
        : new ChainDialer(o.tag ?? "", via, lookup, this.#logger);
      return createOutbound(o, ctx, dialer);
    }));
    try {
      const ntp = this.#config.ntp;
      if (ntp?.enabled && ntp.server !== undefined) {
        // Synced before the listeners open, so the first VMess header has the corrected time.
        this.#ntp = new NtpSync(
          { ...ntp, server: ntp.server },
          this.#clock,
          this.#base,
          this.#logger,
        );
        await this.#ntp.start();
      }
      const built: Inbound[] = [];
      const lookup = (tag: string) => built.find((i) => i.tag === tag);
      for (const ib of this.#config.inbounds) built.push(createInbound(ib, ctx, lookup));
      const listen = this.#config.statsListen;
      if (this.stats && listen) {
        this.#metrics = serveMetrics(this.stats, listen.host, listen.port);
        this.#logger.warning(`stats served on ${this.#metrics.address}`);
      }
      for (const [n, ib] of this.#config.inbounds.entries()) {
        const inbound = built[n];
        await inbound.start();
        this.#inbounds.push(inbound);
        for (const a of inbound.addresses()) {
          this.#logger.warning(
            `inbound ${inbound.tag || ib.protocol} (${ib.protocol}) listening on ${a}`,
          );
        }
      }
    } catch (e) {
      await this.stop(0);
      throw e;
    }
  }

  /** "http host:port/metrics" when stats are served. */
  metricsAddress(): string | undefined {
    return this.#metrics?.address;
  }

  /** The running inbound with `tag`, if any. */
  inbound(tag: string): Inbound | undefined {
    return this.#inbounds.find((i) => i.tag === tag);
  }

  /** Addresses of every listener, in config order. */
  addresses(): string[] {
    return this.#inbounds.flatMap((i) => i.addresses());
  }

  /** Closes the listeners, then live connections after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.#ntp?.stop();
    this.#ntp = undefined;
    const inbounds = this.#inbounds;
    this.#inbounds = [];
    await Promise.all(inbounds.map((i) => i.close(graceMs)));
    await this.#metrics?.close();
    this.#metrics = undefined;
    for (const [name, value] of this.stats?.snapshot() ?? []) {
      this.#logger.info(`stats: ${name} = ${value}`);
    }
  }
}
