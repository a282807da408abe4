/** The common tail of every inbound: route, log the access line, dial, relay with policy and counters. */
import type { Destination } from "../core/destination.ts";
import { formatDestination } from "../core/destination.ts";
import type { Session } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import type { LevelPolicy } from "../config/policy.ts";
import { relay } from "../transport/relay.ts";
import type { InstanceContext } from "./context.ts";

/** Optional parts of a proxied TCP session. */
export interface ProxyOptions {
  /** Runs before the client is closed when the outbound cannot be dialed. */
  readonly onDialFailed?: () => Promise<void>;
  /** Timeouts of the relay (default: the policy of the session user's level). */
  readonly policy?: LevelPolicy;
}

/** Routes `client`'s stream to `destination` and relays until both ends finish; never rejects. */
export async function proxyTcp(
  ctx: InstanceContext,
  session: Session,
  destination: Destination,
  client: ByteStream,
  options: ProxyOptions = {},
): Promise<void> {
  const from = `tcp:${session.source.address}:${session.source.port}`;
  const email = session.user?.email ? ` email: ${session.user.email}` : "";
  let target: ByteStream;
  let outTag: string;
  try {
    const outbound = await ctx.dispatcher.route(session, destination);
    outTag = outbound.tag;
    ctx.logger.access(
      `from ${from} accepted ${
        formatDestination(destination)
      } [${session.inboundTag} -> ${outTag}]${email}`,
    );
    target = await outbound.dial(session, destination);
  } catch (e) {
    ctx.logger.info(
      `[${session.id}] ${formatDestination(destination)}: dial failed: ${(e as Error).message}`,
    );
    await options.onDialFailed?.().catch(() => {});
    client.close();
    return;
  }
  const level = options.policy ?? ctx.policy.level(session.user?.level ?? 0);
  const stats = ctx.stats;
  const result = await relay(client, target, {
    idleMs: level.connIdleMs,
    uplinkOnlyMs: level.uplinkOnlyMs,
    downlinkOnlyMs: level.downlinkOnlyMs,
    onUplink: stats ? (n) => stats.count(session, outTag, n, 0) : undefined,
    onDownlink: stats ? (n) => stats.count(session, outTag, 0, n) : undefined,
  });
  if (result.outcome !== "done") {
    const why = result.outcome === "timeout" ? "idle timeout" : (result.error as Error)?.message;
    ctx.logger.info(`[${session.id}] ${formatDestination(destination)} closed: ${why}`);
  }
}
