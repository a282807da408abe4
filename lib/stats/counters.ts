/** Traffic counters with V2Ray's names (`user>>>EMAIL>>>traffic>>>uplink`, …). */
import type { Policy } from "../config/mod.ts";
import type { Session } from "../core/session.ts";
import type { MetricFamily } from "./prometheus.ts";

/** Byte counters kept as V2Ray keeps them: per user, inbound and outbound, when enabled. */
export class TrafficStats {
  readonly #counters = new Map<string, number>();
  #policy: Policy;

  /** Counters enabled by the config's `stats` section, filtered by policy flags as in V2Ray. */
  constructor(policy: Policy) {
    this.#policy = policy;
  }

  /** Counts by `policy`'s flags from now on (a reloaded config); the counts so far stay. */
  setPolicy(policy: Policy): void {
    this.#policy = policy;
  }

  #add(name: string, n: number): void {
    if (n > 0) this.#counters.set(name, (this.#counters.get(name) ?? 0) + n);
  }

  /** Counts `up` (client → target) and `down` bytes of a session that left by outbound `outTag`. */
  count(session: Session, outTag: string, up: number, down: number): void {
    const sys = this.#policy.system;
    const user = session.user;
    if (user?.email) {
      const lvl = this.#policy.level(user.level);
      if (lvl.statsUserUplink) this.#add(`user>>>${user.email}>>>traffic>>>uplink`, up);
      if (lvl.statsUserDownlink) this.#add(`user>>>${user.email}>>>traffic>>>downlink`, down);
    }
    if (session.inboundTag) {
      if (sys.statsInboundUplink) {
        this.#add(`inbound>>>${session.inboundTag}>>>traffic>>>uplink`, up);
      }
      if (sys.statsInboundDownlink) {
        this.#add(`inbound>>>${session.inboundTag}>>>traffic>>>downlink`, down);
      }
    }
    if (outTag) {
      if (sys.statsOutboundUplink) this.#add(`outbound>>>${outTag}>>>traffic>>>uplink`, up);
      if (sys.statsOutboundDownlink) this.#add(`outbound>>>${outTag}>>>traffic>>>downlink`, down);
    }
  }

  /** Current value of a counter (0 if never counted). */
  get(name: string): number {
    return this.#counters.get(name) ?? 0;
  }

  /** Every counter, sorted by name. */
  snapshot(): [string, number][] {
    return [...this.#counters].sort(([a], [b]) => a.localeCompare(b));
  }

  /** The counters as a Prometheus family (bytes by kind, name and direction). */
  family(): MetricFamily {
    return {
      name: "denoray_traffic_bytes_total",
      help: "Bytes relayed, with V2Ray's counter names split into kind, name and direction.",
      type: "counter",
      samples: this.snapshot().map(([name, value]) => {
        const [kind, tag, , direction] = name.split(">>>");
        return { labels: { kind, name: tag, direction }, value };
      }),
    };
  }
}
