/** A running denoray: the inbounds, outbounds and router a config describes. */
import type { Config } from "../config/mod.ts";
import { resolvePolicy } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import type { Logger } from "../log/mod.ts";
import { createInbound } from "../inbound/mod.ts";
import { createOutbound } from "../outbound/mod.ts";
import {
  ChainDialer,
  ConnectionGate,
  descriptorLimit,
  directDialer,
  type GateLimits,
  layeredDialer,
  limitsForDescriptors,
} from "../net/mod.ts";
import { createRouter } from "../routing/mod.ts";
import { RoutingDispatcher } from "../engine/dispatcher.ts";
import {
  type MetricFamily,
  type MetricsEndpoint,
  serveMetrics,
  TrafficStats,
} from "../stats/mod.ts";
import { ActiveCounts } from "../engine/active.ts";
import { cryptoStatus } from "../crypto/mod.ts";
import { Tally } from "../core/tally.ts";
import { collectMetrics } from "./metrics.ts";
import { VERSION } from "./version.ts";
import type { InstanceContext } from "../engine/context.ts";
import { restoreState, saveState, stateVersion } from "./state_file.ts";
import { checkUdp } from "./udp_support.ts";
import { type Clock, OffsetClock, systemClock, unixSeconds } from "../core/clock.ts";
import { NtpSync } from "../engine/ntp_sync.ts";
import { DnsResolver, systemResolver } from "../dns_client/mod.ts";
import { readTlsFiles } from "./tls_files.ts";

/** How often the connection gate's refusals and sheds are summed up in one log line, ms. */
export const GATE_REPORT_MS = 10_000;

/** The descriptor limit assumed where the process's own cannot be read. */
const FALLBACK_FD_LIMIT = 1024;

/** How often state kept across restarts is saved while running (when it changed), ms. */
export const STATE_SAVE_MS = 30_000;

/** Knobs of an instance beyond its config. */
export interface InstanceOptions {
  /** Connection caps; by default derived from the process's descriptor limit. */
  readonly gateLimits?: GateLimits;
  /** Where replay filters are kept across restarts; none: they live in memory only, as V2Ray's. */
  readonly stateFile?: string;
  /** The base clock, which NTP corrects when configured (the system clock; tests shift it). */
  readonly clock?: Clock;
}

/** The caps of this process: from its soft descriptor limit (Linux), else a common default. */
export function processGateLimits(): GateLimits {
  const limit = descriptorLimit(() => Deno.readTextFileSync("/proc/self/limits"));
  return limitsForDescriptors(limit ?? FALLBACK_FD_LIMIT);
}

/** Starts and stops everything a config describes. */
export class Instance {
  readonly #config: Config;
  readonly #logger: Logger;
  #inbounds: Inbound[] = [];
  #metrics: MetricsEndpoint | undefined;
  #reportTimer: ReturnType<typeof setInterval> | undefined;
  #dispatcher: RoutingDispatcher | undefined;
  #stateTimer: ReturnType<typeof setInterval> | undefined;
  #savedVersion = -1;
  readonly #stateFile: string | undefined;
  readonly #failure = Promise.withResolvers<Error>();
  readonly #outboundActive = new ActiveCounts();
  readonly #handshakes = new Tally();
  readonly #base: Clock;
  readonly #clock: OffsetClock;
  #ntp: NtpSync | undefined;
  /** Traffic counters, when the config enables stats (set by start()). */
  stats: TrafficStats | undefined;
  /** Admission of inbound connections, shared by every listener. */
  readonly gate: ConnectionGate;

  /** An instance of `config` logging to `logger`; nothing runs until start(). */
  constructor(config: Config, logger: Logger, options: InstanceOptions = {}) {
    this.#config = config;
    this.#logger = logger;
    this.gate = new ConnectionGate(options.gateLimits ?? processGateLimits());
    this.#stateFile = options.stateFile;
    this.#base = options.clock ?? systemClock;
    this.#clock = new OffsetClock(this.#base);
  }

  /** The clock offset NTP measured, ms (0 without an `ntp` section). */
  get clockOffsetMs(): number {
    return this.#clock.offsetMs;
  }

  /** Settles with the error when a listener fails for good (the process should exit non-zero). */
  get failure(): Promise<Error> {
    return this.#failure.promise;
  }

  /**
   * Builds the outbounds and binds every inbound, logging one line per listener. A protocol that
   * is not implemented yet, or a port that cannot be bound, stops everything and rejects.
   */
  async start(): Promise<void> {
    checkUdp(this.#config);
    // Certificate files are read once here (run and test have read them already: a no-op then).
    const config = await readTlsFiles(this.#config);
    const policy = resolvePolicy(this.#config.policy);
    this.stats = this.#config.stats ? new TrafficStats(policy) : undefined;
    const dns = this.#config.dns;
    const resolver = dns ? new DnsResolver(dns, this.#logger) : systemResolver;
    const dispatcher = new RoutingDispatcher(
      createRouter(this.#config.routing, this.#config.geo),
      this.stats,
      this.#outboundActive,
      resolver,
    );
    this.#dispatcher = dispatcher;
    const ctx: InstanceContext = {
      logger: this.#logger,
      policy,
      dispatcher,
      stats: this.stats,
      clock: this.#clock.now,
      outboundActive: this.#outboundActive,
      handshakes: this.#handshakes,
      resolver,
      listening: {
        logger: this.#logger,
        gate: this.gate,
        onDead: (e) => {
          this.#logger.error(e.message);
          this.#failure.resolve(e);
        },
      },
    };
    // proxySettings.tag: the outbound dials through another one, found when it dials.
    const lookup = (tag: string) => dispatcher.outbound(tag);
    dispatcher.setOutbounds(config.outbounds.map((o) => {
      const via = o.proxySettings?.tag;
      const dialer = via === undefined
        ? directDialer
        : new ChainDialer(o.tag ?? "", via, lookup, this.#logger);
      // The outbound's streamSettings (TLS, WebSocket, HTTP header) over its TCP or chained stream.
      return createOutbound(o, ctx, layeredDialer(dialer, o.stream));
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
      for (const ib of config.inbounds) built.push(createInbound(ib, ctx, lookup));
      const listen = this.#config.statsListen;
      if (this.stats && listen) {
        this.#metrics = serveMetrics(() => this.metrics(), listen.host, listen.port);
        this.#logger.warning(`stats served on ${this.#metrics.address}`);
      }
      if (this.#stateFile) {
        await restoreState(this.#stateFile, built, this.#logger, unixSeconds(this.#clock.now));
      }
      this.#reportTimer = setInterval(() => this.#reportGate(), GATE_REPORT_MS);
      Deno.unrefTimer(this.#reportTimer);
      const l = this.gate.limits;
      this.#logger.info(
        `connections: ${l.descriptors} descriptors for inbound connections (2 per tunnel), ${l.handshaking} in their handshake at most, ${l.handshakingPerSource} per source`,
      );
      for (const [n, ib] of config.inbounds.entries()) {
        const inbound = built[n];
        this.#inbounds.push(inbound);
        await inbound.start();
        for (const a of inbound.addresses()) {
          this.#logger.warning(
            `inbound ${inbound.tag || ib.protocol} (${ib.protocol}) listening on ${a}`,
          );
        }
      }
      if (this.#stateFile) {
        this.#stateTimer = setInterval(() => this.#saveState(), STATE_SAVE_MS);
        Deno.unrefTimer(this.#stateTimer);
      }
    } catch (e) {
      await this.stop(0);
      throw e;
    }
  }

  // Saves what inbounds keep across restarts, if it changed; a failure is logged, never thrown.
  async #saveState(): Promise<void> {
    const path = this.#stateFile;
    const version = stateVersion(this.#inbounds);
    if (!path || version === this.#savedVersion) return;
    try {
      await saveState(path, this.#inbounds);
      this.#savedVersion = version;
    } catch (e) {
      this.#logger.warning(`state: cannot write ${path}: ${(e as Error).message}`);
    }
  }

  // One line per interval for what the gate refused or shed, however many there were.
  #reportGate(): void {
    const c = this.gate.takeCounts();
    if (c.refused + c.shed + c.acceptErrors === 0) return;
    const g = this.gate;
    this.#logger.warning(
      `connections: in the last ${
        GATE_REPORT_MS / 1000
      } s refused ${c.refused}, shed ${c.shed} still in their handshake, ${c.acceptErrors} accept failures for want of descriptors (now ${g.established} established, ${g.handshaking} handshaking, ${g.inUse} of ${g.limits.descriptors} descriptors)`,
    );
  }

  /** Every metric, read now (what the metrics endpoint serves). */
  metrics(): MetricFamily[] {
    return collectMetrics({
      stats: this.stats,
      inbounds: this.#inbounds,
      outboundActive: this.#outboundActive,
      handshakes: this.#handshakes,
      gate: this.gate,
      build: { version: VERSION, deno: Deno.version.deno, crypto: cryptoStatus().name },
      rss: () => Deno.memoryUsage().rss,
    });
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
    clearInterval(this.#reportTimer);
    clearInterval(this.#stateTimer);
    this.#ntp?.stop();
    this.#ntp = undefined;
    const inbounds = this.#inbounds;
    await Promise.all(inbounds.map((i) => i.close(graceMs)));
    await this.#saveState();
    this.#inbounds = [];
    for (const o of this.#dispatcher?.outbounds ?? []) o.close?.();
    await this.#metrics?.close();
    this.#metrics = undefined;
    for (const [name, value] of this.stats?.snapshot() ?? []) {
      this.#logger.info(`stats: ${name} = ${value}`);
    }
  }
}
