/**
 * One VMess server connection: read and check the request header (drain on any failure), then
 * hand the decoded body to the dispatcher, sending the response header with the first bytes back.
 */
import type { Session } from "../core/session.ts";
import { nextSessionId } from "../core/session.ts";
import type { InstanceContext } from "../engine/context.ts";
import { proxyTcp } from "../engine/proxy.ts";
import { TcpStream } from "../net/tcp.ts";
import {
  type AcceptedRequest,
  BodyReader,
  BodyWriter,
  encodeResponseHeader,
  responseBodyKeys,
  type SwitchAccount,
  type VmessServer,
} from "../vmess/mod.ts";
import { readHeader } from "./handshake_io.ts";
import { VmessBodyStream } from "./body_stream.ts";
import { MAX_UDP_PAYLOAD } from "./limits.ts";
import { VmessPacketFlow } from "./packet_flow.ts";
import { relayPackets } from "../net/packet_relay.ts";
import { type Destination, formatDestination } from "../core/destination.ts";

/** What a VMess inbound shares with each of its connections. */
export interface VmessServerContext {
  /** The inbound tag. */
  readonly tag: string;
  /** Users, replay state, drain parameters. */
  readonly server: VmessServer;
  /** Refuse none and aes-128-cfb (disableInsecureEncryption). */
  readonly secureOnly: boolean;
  /** The instance's services. */
  readonly instance: InstanceContext;
  /** A SwitchAccount to send (dynamic port), if the inbound has a detour. */
  readonly switchAccount?: (email: string) => SwitchAccount | undefined;
}

/** Serves one accepted connection until both directions end; never rejects. */
export async function serveVmessConnection(
  conn: Deno.Conn,
  ctx: VmessServerContext,
): Promise<void> {
  const remote = conn.remoteAddr as Deno.NetAddr;
  const { logger, policy } = ctx.instance;
  const reader = ctx.server.headerReader(Math.floor(Date.now() / 1000));
  const outcome = await readHeader(conn, (b) => reader.push(b), {
    deadlineMs: policy.level(0).handshakeMs,
    drainSize: ctx.server.drainSize(),
  });
  if (outcome.kind === "failed") {
    // One line per rejected connection, at info: probes are routine on a public port.
    logger.info(
      `vmess ${ctx.tag}: ${remote.hostname}:${remote.port} rejected: ${outcome.code}: ${outcome.message} (${outcome.consumed} bytes read)`,
    );
    return;
  }
  const refusal = refuse(outcome.value, ctx.secureOnly);
  if (refusal) {
    logger.info(
      `vmess ${ctx.tag}: ${remote.hostname}:${remote.port} rejected ${refusal} (user ${outcome.value.user.email})`,
    );
    // The header authenticated, so the peer is a user, not a prober: no need to drain.
    return;
  }
  await serveRequest(conn, remote, outcome.value, outcome.rest, ctx);
}

function refuse(req: AcceptedRequest, secureOnly: boolean): string | null {
  const s = req.header.security;
  if (secureOnly && (s === "none" || s === "zero" || s === "aes-128-cfb")) {
    return `insecure encryption ${s}`;
  }
  if (req.header.command === "mux") return "Mux.Cool (not supported)";
  return null;
}

async function serveRequest(
  conn: Deno.Conn,
  remote: Deno.NetAddr,
  req: AcceptedRequest,
  rest: Uint8Array,
  ctx: VmessServerContext,
): Promise<void> {
  const { header, user, mode } = req;
  const session: Session = {
    id: nextSessionId(),
    inboundTag: ctx.tag,
    source: { address: remote.hostname, port: remote.port },
    user: { email: user.email, level: user.level },
  };
  const level = ctx.instance.policy.level(user.level);
  const request = { key: header.bodyKey, iv: header.bodyIv };
  const packet = header.command === "udp";
  const { bytes: responseHeader, cfb } = encodeResponseHeader(mode, request, {
    responseAuth: header.responseAuth,
    command: ctx.switchAccount?.(user.email),
  }, header.security === "aes-128-cfb");
  const common = {
    security: header.security,
    options: header.options,
    packet,
    authLengthKeys: request,
  };
  const client = new VmessBodyStream({
    transport: new TcpStream(conn, level.bufferSize),
    reader: new BodyReader({ ...common, ...request }),
    writer: new BodyWriter({
      ...common,
      ...responseBodyKeys(mode, request),
      cfb,
      maxChunkPayload: packet ? MAX_UDP_PAYLOAD : undefined,
    }),
    prefix: responseHeader,
    initial: rest,
  });
  if (packet) {
    await serveUdp(ctx, session, header.destination!, client);
    return;
  }
  // As V2Ray: when the target cannot be reached, the response header alone, then close.
  await proxyTcp(ctx.instance, session, header.destination!, client, {
    onDialFailed: () => client.flush(),
  });
}

async function serveUdp(
  ctx: VmessServerContext,
  session: Session,
  dest: Destination,
  client: VmessBodyStream,
) {
  const { logger, dispatcher, policy } = ctx.instance;
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
    } [${ctx.tag}] email: ${session.user?.email ?? ""}`,
  );
  await relayPackets(
    new VmessPacketFlow(client, dest, logger),
    target,
    policy.level(session.user?.level ?? 0).connIdleMs,
  );
}
