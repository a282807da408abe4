/** What a VMess inbound does with one connection: accept the request, then route it like any other. */
import { formatDestination } from "../core/destination.ts";
import { nextSessionId, type Session } from "../core/session.ts";
import type { InstanceContext } from "../engine/context.ts";
import { proxyTcp } from "../engine/proxy.ts";
import { type InboundConnection, relayPackets } from "../net/mod.ts";
import { acceptVmess, type VmessServerContext } from "../vmess_io/server_session.ts";
import { VmessPacketFlow } from "../vmess_io/packet_flow.ts";
import type { VmessBodyStream } from "../vmess_io/body_stream.ts";
import type { Destination } from "../core/destination.ts";
import type { SniffingConfig } from "../config/mod.ts";

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
    ctx.logger.info(
      `vmess ${vmess.tag}: ${conn.source.address}:${conn.source.port} rejected Mux.Cool (not supported) (user ${req.user.email})`,
    );
    return;
  }
  const session: Session = {
    id: nextSessionId(),
    inboundTag: vmess.tag,
    source: conn.source,
    user: req.user,
  };
  if (req.command === "udp") {
    await serveUdp(ctx, session, req.destination, req.stream);
    return;
  }
  // As V2Ray: when the target cannot be reached, the response header alone, then close.
  await proxyTcp(ctx, session, req.destination, req.stream, {
    onDialFailed: () => req.stream.flush(),
    sniffing,
  });
}

async function serveUdp(
  ctx: InstanceContext,
  session: Session,
  dest: Destination,
  client: VmessBodyStream,
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
    new VmessPacketFlow(client, dest, logger),
    target,
    policy.level(session.user?.level ?? 0).connIdleMs,
  );
}
