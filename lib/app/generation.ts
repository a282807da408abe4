/**
 * One config's handlers: its policy, name resolution, router, outbounds and (unstarted) inbounds.
 * The instance runs one generation at a time; a reload builds the next beside it, and the
 * connections of the one before run on with theirs until they end.
 */
import type { Config } from "../config/mod.ts";
import { resolvePolicy } from "../config/mod.ts";
import type { Inbound, Outbound } from "../core/handlers.ts";
import type { Clock } from "../core/clock.ts";
import type { Tally } from "../core/tally.ts";
import type { Logger } from "../log/mod.ts";
import { createInbound } from "../inbound/mod.ts";
import { createOutbound } from "../outbound/mod.ts";
import { ChainDialer, directDialer, layeredDialer, type ListenerServices } from "../net/mod.ts";
import { createRouter } from "../routing/mod.ts";
import { RoutingDispatcher } from "../engine/dispatcher.ts";
import type { ActiveCounts } from "../engine/active.ts";
import type { InstanceContext } from "../engine/context.ts";
import type { TrafficStats } from "../stats/mod.ts";
import { DnsResolver, systemResolver } from "../dns_client/mod.ts";

/** What every generation of an instance shares. */
export interface SharedServices {
  /** The process logger. */
  readonly logger: Logger;
  /** The NTP-corrected clock. */
  readonly clock: Clock;
  /** Traffic counters, when the config enables them. */
  readonly stats?: TrafficStats;
  /** Open connections per outbound tag. */
  readonly outboundActive: ActiveCounts;
  /** Handshake results per inbound. */
  readonly handshakes: Tally;
  /** The connection gate and what to do when a listener dies. */
  readonly listening: ListenerServices;
}

/** The handlers of one config. */
export interface Generation {
  /** The config they were built from. */
  readonly config: Config;
  /** What its handlers were handed. */
  readonly ctx: InstanceContext;
  /** Its outbounds, in config order. */
  readonly outbounds: readonly Outbound[];
  /** Its inbounds, in config order, not started. */
  readonly inbounds: readonly Inbound[];
}

/** Builds `config`'s handlers over `shared`; binds nothing (a protocol not implemented throws). */
export function buildGeneration(config: Config, shared: SharedServices): Generation {
  const policy = resolvePolicy(config.policy);
  const { logger } = shared;
  const resolver = config.dns ? new DnsResolver(config.dns, logger) : systemResolver;
  const dispatcher = new RoutingDispatcher(
    createRouter(config.routing, config.geo),
    shared.stats,
    shared.outboundActive,
    resolver,
  );
  const ctx: InstanceContext = { ...shared, policy, dispatcher, resolver };
  // proxySettings.tag: the outbound dials through another one, found when it dials.
  const lookupOutbound = (tag: string) => dispatcher.outbound(tag);
  dispatcher.setOutbounds(config.outbounds.map((o) => {
    const via = o.proxySettings?.tag;
    const dialer = via === undefined
      ? directDialer
      : new ChainDialer(o.tag ?? "", via, lookupOutbound, logger);
    // The outbound's streamSettings (TLS, WebSocket, HTTP header) over its TCP or chained stream.
    return createOutbound(o, ctx, layeredDialer(dialer, o.stream));
  }));
  const inbounds: Inbound[] = [];
  const lookupInbound = (tag: string) => inbounds.find((i) => i.tag === tag);
  for (const ib of config.inbounds) inbounds.push(createInbound(ib, ctx, lookupInbound));
  return { config, ctx, outbounds: dispatcher.outbounds, inbounds };
}
