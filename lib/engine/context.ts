/** What every inbound and outbound factory is handed. */
import type { Policy } from "../config/mod.ts";
import type { Clock } from "../core/clock.ts";
import type { Dispatcher } from "../core/handlers.ts";
import type { Logger } from "../log/mod.ts";
import type { TrafficStats } from "../stats/mod.ts";
import type { ListenerServices } from "../net/mod.ts";
import type { Tally } from "../core/tally.ts";
import type { ActiveCounts } from "./active.ts";
import type { HostResolver } from "../dns_client/mod.ts";

/** Shared services of a running instance. */
export interface InstanceContext {
  /** The process logger. */
  readonly logger: Logger;
  /** Resolved policy levels. */
  readonly policy: Policy;
  /** Routes and dials on behalf of inbounds. */
  readonly dispatcher: Dispatcher;
  /** Traffic counters, when the config has a `stats` section. */
  readonly stats?: TrafficStats;
  /** The time for VMess timestamps: the system clock, corrected by NTP when configured. */
  readonly clock: Clock;
  /** What every listener shares: the connection gate, and what to do when one dies. */
  readonly listening: ListenerServices;
  /** Connections and UDP flows open now per outbound tag. */
  readonly outboundActive: ActiveCounts;
  /** Handshake results by (inbound tag, result), e.g. ("vmess-in", "replay"). */
  readonly handshakes: Tally;
  /** Resolves names: the `dns` section's built-in DNS, else the system. */
  readonly resolver: HostResolver;
}
