/** A running denoray: the inbounds, outbounds and router a config describes. */
import type { Config } from "../config/mod.ts";
import { resolvePolicy } from "../config/mod.ts";
import type { Inbound, Outbound } from "../core/handlers.ts";
import { DenorayError } from "../core/errors.ts";
import type { Logger } from "../log/mod.ts";
import {
  ConnectionGate,
  descriptorLimit,
  type GateLimits,
  limitsForDescriptors,
  type ListenerServices,
} from "../net/mod.ts";
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
import { restoreState, saveState, stateVersion } from "./state_file.ts";
import { checkUdp } from "./udp_support.ts";
import { type Clock, OffsetClock, systemClock, unixSeconds } from "../core/clock.ts";
import { NtpSync } from "../engine/ntp_sync.ts";
import { buildGeneration, type Generation, type SharedServices } from "./generation.ts";
import { canonicalJson, planInbounds } from "./inbound_plan.ts";
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

/** What a reload did with the inbounds (tags, or `#index` for untagged ones). */
export interface ReloadReport {
  /** Inbounds that kept their listeners (serving on without a gap). */
  readonly kept: readonly string[];
  /** New inbounds, and changed ones that bound anew. */
  readonly bound: readonly string[];
  /** Inbounds that stopped accepting (removed or changed); their connections run on. */
  readonly retired: readonly string[];
}

/** The caps of this process: from its soft descriptor limit (Linux), else a common default. */
export function processGateLimits(): GateLimits {
  const limit = descriptorLimit(() => Deno.readTextFileSync("/proc/self/limits"));
  return limitsForDescriptors(limit ?? FALLBACK_FD_LIMIT);
}

function nameOf(tag: string, index: number): string {
  return tag || `#${index}`;
}

// The key of the part of a config the metrics endpoint depends on.
function metricsKey(config: Config): string | undefined {
  return config.stats && config.statsListen ? canonicalJson(config.statsListen) : undefined;
}

// The key of the part of a config NTP depends on.
function ntpKey(config: Config): string | undefined {
  const ntp = config.ntp;
  return ntp?.enabled && ntp.server !== undefined ? canonicalJson(ntp) : undefined;
}

/**
 * Starts, reloads and stops everything a config describes. Start, reload and stop run one at a
 * time, in the order they were called.
 */
export class Instance {
  #config: Config;
  readonly #logger: Logger;
  // The current config's handlers, once started.
  #gen: Generation | undefined;
  // The current generation's inbounds that were started (all of them once start() is done).
  #inbounds: Inbound[] = [];
  // Inbounds of earlier configs that stopped accepting; dropped once their connections end.
  readonly #retired = new Set<Inbound>();
  // Outbounds of earlier configs that hold pooled connections, closed at stop if still around.
  #oldOutbounds: WeakRef<Outbound>[] = [];
  #metrics: MetricsEndpoint | undefined;
  #reportTimer: ReturnType<typeof setInterval> | undefined;
  #stateTimer: ReturnType<typeof setInterval> | undefined;
  #savedVersion = -1;
  readonly #stateFile: string | undefined;
  readonly #failure = Promise.withResolvers<Error>();
  readonly #outboundActive = new ActiveCounts();
  readonly #handshakes = new Tally();
  readonly #base: Clock;
  readonly #clock: OffsetClock;
  readonly #listening: ListenerServices;
  #ntp: NtpSync | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #stopped = false;
  /** Traffic counters, when the config enables stats (set by start(), kept across reloads). */
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
    this.#listening = {
      logger,
      gate: this.gate,
      onDead: (e) => {
        this.#logger.error(e.message);
        this.#failure.resolve(e);
      },
    };
  }

  /** The clock offset NTP measured, ms (0 without an `ntp` section). */
  get clockOffsetMs(): number {
    return this.#clock.offsetMs;
  }

  /** Settles with the error when a listener fails for good (the process should exit non-zero). */
  get failure(): Promise<Error> {
    return this.#failure.promise;
  }

  /** The config running now (the last one start() or reload() took). */
  get config(): Config {
    return this.#config;
  }

  // Runs `task` after every start, reload and stop called before it.
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => {});
    return run;
  }

  #shared(stats: TrafficStats | undefined): SharedServices {
    return {
      logger: this.#logger,
      clock: this.#clock.now,
      stats,
      outboundActive: this.#outboundActive,
      handshakes: this.#handshakes,
      listening: this.#listening,
    };
  }

  /**
   * Builds the outbounds and binds every inbound, logging one line per listener. A protocol that
   * is not implemented yet, or a port that cannot be bound, stops everything and rejects.
   */
  start(): Promise<void> {
    return this.#serial(() => this.#start());
  }

  async #start(): Promise<void> {
    // Certificate files are read once here (run and test have read them already: a no-op then).
    const config = this.#config = await readTlsFiles(this.#config);
    checkUdp(config);
    this.stats = config.stats ? new TrafficStats(resolvePolicy(config.policy)) : undefined;
    try {
      const gen = buildGeneration(config, this.#shared(this.stats));
      this.#gen = gen;
      // Synced before the listeners open, so the first VMess header has the corrected time.
      this.#ntp = this.#newNtp(config);
      await this.#ntp?.start();
      this.#serveMetrics(config);
      if (this.#stateFile) {
        await restoreState(
          this.#stateFile,
          gen.inbounds,
          this.#logger,
          unixSeconds(this.#clock.now),
        );
      }
      this.#reportTimer = setInterval(() => this.#reportGate(), GATE_REPORT_MS);
      Deno.unrefTimer(this.#reportTimer);
      const l = this.gate.limits;
      this.#logger.info(
        `connections: ${l.descriptors} descriptors for inbound connections (2 per tunnel), ${l.handshaking} in their handshake at most, ${l.handshakingPerSource} per source`,
      );
      for (const [n, inbound] of gen.inbounds.entries()) {
        this.#inbounds.push(inbound);
        await inbound.start();
        this.#logListening(inbound, n);
      }
      if (this.#stateFile) {
        this.#stateTimer = setInterval(() => this.#saveState(), STATE_SAVE_MS);
        Deno.unrefTimer(this.#stateTimer);
      }
    } catch (e) {
      await this.#stop(0);
      throw e;
    }
  }

  #newNtp(config: Config): NtpSync | undefined {
    const ntp = config.ntp;
    if (!ntp?.enabled || ntp.server === undefined) return undefined;
    return new NtpSync({ ...ntp, server: ntp.server }, this.#clock, this.#base, this.#logger);
  }

  #serveMetrics(config: Config): void {
    const listen = config.statsListen;
    if (!config.stats || !listen) return;
    this.#metrics = serveMetrics(() => this.metrics(), listen.host, listen.port);
    this.#logger.warning(`stats served on ${this.#metrics.address}`);
  }

  #logListening(inbound: Inbound, index: number): void {
    const ib = this.#config.inbounds[index];
    for (const a of inbound.addresses()) {
      this.#logger.warning(
        `inbound ${inbound.tag || ib.protocol} (${ib.protocol}) listening on ${a}`,
      );
    }
  }

  /**
   * Runs `config` from now on; resolves once new connections use it. Inbounds that listen alike
   * (address, ports, protocol, stream settings) keep their listeners and serve on without a gap;
   * a changed one stops accepting and binds anew (a few ms without a listener when its ports stay);
   * removed ones stop accepting. Connections open now run on, with the config they began with,
   * until they end (stop() closes them). VMess replay filters, traffic counters, the connection
   * gate, the clock and the metrics endpoint carry over. Rejects, with the running config left as
   * it was, when a protocol is not implemented, UDP is missing, or a new port cannot be bound.
   */
  reload(config: Config): Promise<ReloadReport> {
    return this.#serial(() => this.#reload(config));
  }

  async #reload(loaded: Config): Promise<ReloadReport> {
    const old = this.#gen;
    if (!old || this.#stopped) throw new DenorayError("not-running", "not running");
    // Read anew: a renewed certificate changes the stream settings, so its inbound rebinds.
    const config = await readTlsFiles(loaded);
    checkUdp(config);
    const policy = resolvePolicy(config.policy);
    const stats = config.stats ? this.stats ?? new TrafficStats(policy) : undefined;
    const gen = buildGeneration(config, this.#shared(stats));
    const plan = planInbounds(old.config.inbounds, config.inbounds);
    // Shared before any new listener accepts, so no first packet is new to one of them.
    for (const [n, o] of plan.inherit) gen.inbounds[n].inherit(old.inbounds[o]);
    const first = plan.retireFirst.map((o) => old.inbounds[o]);
    for (const ib of first) await ib.stopAccepting();
    const started: Inbound[] = [];
    try {
      for (const n of plan.bind) {
        await gen.inbounds[n].start();
        started.push(gen.inbounds[n]);
      }
      await this.#reloadMetrics(config);
    } catch (e) {
      await Promise.all(started.map((ib) => ib.close(0)));
      for (const ib of first) {
        await ib.start().catch((err) =>
          this.#logger.error(`reload: inbound ${ib.tag}: cannot listen again: ${err.message}`)
        );
      }
      for (const o of gen.outbounds) o.close?.();
      throw e;
    }
    // From here on nothing fails: the new config takes over.
    for (const [n, o] of plan.keep) gen.inbounds[n].takeListeners(old.inbounds[o]);
    const firstSet = new Set(plan.retireFirst);
    await Promise.all(
      plan.retire.filter((o) => !firstSet.has(o)).map((o) => old.inbounds[o].stopAccepting()),
    );
    for (const o of plan.retire) this.#retire(old.inbounds[o]);
    this.#oldOutbounds = [
      ...this.#oldOutbounds.filter((r) => r.deref() !== undefined),
      ...old.outbounds.filter((o) => o.close).map((o) => new WeakRef(o)),
    ];
    this.#gen = gen;
    this.#inbounds = [...gen.inbounds];
    const before = this.#config;
    this.#config = config;
    stats?.setPolicy(policy);
    this.stats = stats;
    this.#reloadNtp(before, config);
    this.#savedVersion = -1;
    for (const n of plan.bind) this.#logListening(gen.inbounds[n], n);
    return {
      kept: plan.keep.map(([n]) => nameOf(gen.inbounds[n].tag, n)),
      bound: plan.bind.map((n) => nameOf(gen.inbounds[n].tag, n)),
      retired: plan.retire.map((o) => nameOf(old.inbounds[o].tag, o)),
    };
  }

  // A changed `stats.listen` rebinds the endpoint (the old one first: it may be the same port);
  // if the new one cannot be bound, the old one is put back and the reload fails.
  async #reloadMetrics(config: Config): Promise<void> {
    if (metricsKey(config) === metricsKey(this.#config)) return;
    const before = this.#metrics;
    await before?.close();
    this.#metrics = undefined;
    try {
      this.#serveMetrics(config);
    } catch (e) {
      try {
        this.#serveMetrics(this.#config);
      } catch (again) {
        this.#logger.error(`reload: stats endpoint: ${(again as Error).message}`);
      }
      throw e;
    }
  }

  #reloadNtp(before: Config, after: Config): void {
    if (ntpKey(before) === ntpKey(after)) return;
    this.#ntp?.stop();
    this.#ntp = this.#newNtp(after);
    if (this.#ntp) {
      // Not awaited: the reload is done; until the first answer the offset stays as it was.
      this.#ntp.start().catch(() => {});
    } else {
      this.#clock.setOffset(0);
      this.#logger.info("ntp: off; the system clock is used as it is");
    }
  }

  #retire(inbound: Inbound): void {
    this.#retired.add(inbound);
    inbound.whenIdle().then(() => this.#retired.delete(inbound));
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
      retired: [...this.#retired],
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

  /** Inbound connections (and UDP flows) open now, of this config and of earlier ones. */
  activeConnections(): number {
    return [...this.#inbounds, ...this.#retired].reduce((n, i) => n + i.active(), 0);
  }

  /** Closes the listeners, then live connections (of every config so far) after `graceMs`. */
  stop(graceMs: number): Promise<void> {
    return this.#serial(() => this.#stop(graceMs));
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#reportTimer);
    clearInterval(this.#stateTimer);
    this.#ntp?.stop();
    this.#ntp = undefined;
    await Promise.all([...this.#inbounds, ...this.#retired].map((i) => i.close(graceMs)));
    await this.#saveState();
    this.#inbounds = [];
    this.#retired.clear();
    for (const o of this.#gen?.outbounds ?? []) o.close?.();
    for (const r of this.#oldOutbounds) r.deref()?.close?.();
    this.#oldOutbounds = [];
    await this.#metrics?.close();
    this.#metrics = undefined;
    for (const [name, value] of this.stats?.snapshot() ?? []) {
      this.#logger.info(`stats: ${name} = ${value}`);
    }
  }
}
