/** The common tail of every inbound: route, log the access line, dial, relay with policy and counters. */
import type { Destination } from "../core/destination.ts";
import { formatDestination } from "../core/destination.ts";
import type { Session } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import type { LevelPolicy } from "../config/policy.ts";
import type { SniffingConfig } from "../config/mod.ts";
import { type ByteCounters, relay } from "../net/relay.ts";
import type { InstanceContext } from "./context.ts";
import { applySniffed, sniffClient } from "./sniffing.ts";

/** A dialed target and the tag of the outbound that dialed it. */
export interface RoutedTarget {
  /** The stream to the destination. */
  readonly stream: ByteStream;
  /** The outbound's tag, for counters. */
  readonly outboundTag: string;
}

/** Routes `destination`, logs the access line and dials; null (logged at info) if either fails. */
export async function dialRouted(
  ctx: InstanceContext,
  session: Session,
  destination: Destination,
): Promise<RoutedTarget | null> {
  const from = `tcp:${session.source.address}:${session.source.port}`;
  const email = session.user?.email ? ` email: ${session.user.email}` : "";
  try {
    const outbound = await ctx.dispatcher.route(session, destination);
    ctx.logger.access(
      `from ${from} accepted ${
        formatDestination(destination)
      } [${session.inboundTag} -> ${outbound.tag}]${email}`,
    );
    const stream = await outbound.dial(session, destination);
    return {
      stream: countedOpen(stream, ctx.outboundActive.open(outbound.tag)),
      outboundTag: outbound.tag,
    };
  } catch (e) {
    ctx.logger.info(
      `[${session.id}] ${formatDestination(destination)}: dial failed: ${(e as Error).message}`,
    );
    return null;
  }
}

// `stream`, counted open until it is closed.
function countedOpen(stream: ByteStream, release: () => void): ByteStream {
  return {
    read: (max) => stream.read(max),
    write: (data) => stream.write(data),
    closeWrite: () => stream.closeWrite(),
    close: () => {
      release();
      stream.close();
    },
  };
}

/** Byte counters of one session through one outbound (none without a `stats` section). */
export function trafficCounters(
  ctx: InstanceContext,
  session: Session,
  outboundTag: string,
): ByteCounters {
  const stats = ctx.stats;
  if (!stats) return {};
  return {
    onUplink: (n) => stats.count(session, outboundTag, n, 0),
    onDownlink: (n) => stats.count(session, outboundTag, 0, n),
  };
}

/** Optional parts of a proxied TCP session. */
export interface ProxyOptions {
  /** Runs before the client is closed when the outbound cannot be dialed. */
  readonly onDialFailed?: () => Promise<void>;
  /** Timeouts of the relay (default: the policy of the session user's level). */
  readonly policy?: LevelPolicy;
  /** The inbound's sniffing: when enabled, the first bytes are judged before routing. */
  readonly sniffing?: SniffingConfig;
}

/** Routes `client`'s stream to `destination` and relays until both ends finish; never rejects. */
export async function proxyTcp(
  ctx: InstanceContext,
  session: Session,
  destination: Destination,
  client: ByteStream,
  options: ProxyOptions = {},
): Promise<void> {
  if (options.sniffing?.enabled && destination.network === "tcp") {
    const sniffed = await sniffClient(client);
    client = sniffed.stream;
    const after = applySniffed(options.sniffing, session, destination, sniffed.found);
    if (after.overridden) {
      ctx.logger.info(`[${session.id}] sniffed domain: ${after.destination.address}`);
    }
    session = after.session;
    destination = after.destination;
  }
  const target = await dialRouted(ctx, session, destination);
  if (!target) {
    await options.onDialFailed?.().catch(() => {});
    client.close();
    return;
  }
  const level = options.policy ?? ctx.policy.level(session.user?.level ?? 0);
  const result = await relay(client, target.stream, {
    idleMs: level.connIdleMs,
    uplinkOnlyMs: level.uplinkOnlyMs,
    downlinkOnlyMs: level.downlinkOnlyMs,
    ...trafficCounters(ctx, session, target.outboundTag),
  });
  if (result.outcome !== "done") {
    const why = result.outcome === "timeout" ? "idle timeout" : (result.error as Error)?.message;
    ctx.logger.info(`[${session.id}] ${formatDestination(destination)} closed: ${why}`);
  }
}
