/** The common tail of every inbound: route, log the access line, dial, relay with policy and counters. */
import type { Destination } from "../core/destination.ts";
import { formatDestination } from "../core/destination.ts";
import type { Session } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import { relay } from "../transport/relay.ts";
import type { InstanceContext } from "./context.ts";

/** Routes `client`'s stream to `destination` and relays until both ends finish; never rejects. */
export async function proxyTcp(
  ctx: InstanceContext,
  session: Session,
  destination: Destination,
  client: ByteStream,
  onDialFailed?: () => Promise<void>,
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
    await onDialFailed?.().catch(() => {});
    client.close();
    return;
  }
  const level = ctx.policy.level(session.user?.level ?? 0);
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
