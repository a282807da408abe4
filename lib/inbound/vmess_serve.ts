/** What a VMess inbound does with one connection: accept the request, then route it like any other. */
import { formatDestination } from "../core/destination.ts";
import { nextSessionId, type Session } from "../core/session.ts";
import type { InstanceContext } from "../engine/context.ts";
import { proxyTcp } from "../engine/proxy.ts";
import { type InboundConnection, relayPackets } from "../net/mod.ts";
import { acceptVmess, type VmessServerContext } from "../vmess_io/server_session.ts";
import { VmessPacketFlow } from "../vmess_io/packet_flow.ts";
import type { Destination } from "../core/destination.ts";
import type { SniffingConfig } from "../config/mod.ts";
import type { PacketStream } from "../core/handlers.ts";
import type { SessionUser, SourceAddress } from "../core/session.ts";
import { serveMux } from "../mux_io/mod.ts";

/** Serves one VMess connection until both directions end (sniffing if asked); never rejects. */
export async function serveVmess(
  conn: InboundConnection,
  vmess: VmessServerContext,
  ctx: InstanceContext,
  sniffing?: SniffingConfig,
): Promise<void> {
  const req = await acceptVmess(conn, vmess);
  if (!req) return;
  conn.established();
  if (req.command === "mux") {
    await serveMuxCool(req.stream, vmess.tag, conn.source, req.user, ctx, sniffing);
    return;
  }
  const session = newSession(vmess.tag, conn.source, req.user);
  if (req.command === "udp") {
    const client = new VmessPacketFlow(req.stream, req.destination, ctx.logger);
    await serveUdp(ctx, session, req.destination, client);
    return;
  }
  // As V2Ray: when the target cannot be reached, the response header alone, then close.
  await proxyTcp(ctx, session, req.destination, req.stream, {
    onDialFailed: () => req.stream.flush(),
    sniffing,
  });
}

function newSession(inboundTag: string, source: SourceAddress, user: SessionUser): Session {
  return { id: nextSessionId(), inboundTag, source, user };
}

// Each sub-connection is a session of its own: routed, logged, counted and timed like a plain
// VMess request of the same user (and sniffed, as 4.34 sniffs Mux TCP sub-connections).
async function serveMuxCool(
  body: InboundConnection["stream"],
  tag: string,
  source: SourceAddress,
  user: SessionUser,
  ctx: InstanceContext,
  sniffing?: SniffingConfig,
): Promise<void> {
  const outcome = await serveMux(
    body,
    async (sub) => {
      const session = newSession(tag, source, user);
      if ("packets" in sub) await serveUdp(ctx, session, sub.destination, sub.packets);
      else await proxyTcp(ctx, session, sub.destination, sub.stream, { sniffing });
    },
    {},
    ctx.logger,
  );
  if (outcome.error !== undefined) {
    ctx.logger.info(
      `vmess ${tag}: ${source.address}:${source.port} Mux.Cool connection closed: ${
        (outcome.error as Error)?.message ?? outcome.error
      } (user ${user.email})`,
    );
  }
}

async function serveUdp(
  ctx: InstanceContext,
  session: Session,
  dest: Destination,
  client: PacketStream,
): Promise<void> {
  const { logger, dispatcher, policy } = ctx;
  let target;
  try {
    target = await dispatcher.dispatchPacket(session, dest);
  } catch (e) {
    logger.info(`[${session.id}] udp ${formatDestination(dest)}: ${(e as Error).message}`);
    client.close();
    return;
  }
  logger.access(
    `from tcp:${session.source.address}:${session.source.port} accepted ${
      formatDestination(dest)
    } [${session.inboundTag}] email: ${session.user?.email ?? ""}`,
  );
  await relayPackets(
    client,
    target,
    policy.level(session.user?.level ?? 0).connIdleMs,
  );
}
