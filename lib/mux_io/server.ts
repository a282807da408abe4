/** The Mux.Cool server: each New becomes a sub-connection handed to the caller's handler. */
import type { Destination } from "../core/destination.ts";
import type { PacketStream } from "../core/handlers.ts";
import type { ByteStream } from "../core/stream.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { MuxConnection, type MuxOutcome } from "./connection.ts";
import { type MuxLimits, muxLimits } from "./limits.ts";
import { MuxPacketFlow } from "./packet_flow.ts";

/** A TCP sub-connection: its target and its stream (End is its half-close). */
export interface MuxTcpSubConnection {
  /** Session id (for log lines). */
  readonly id: number;
  /** Where the client wants it to go. */
  readonly destination: Destination & { readonly network: "tcp" };
  /** The client's bytes in, the target's bytes out. */
  readonly stream: ByteStream;
}

/** A UDP sub-connection: its first peer and its datagrams. */
export interface MuxUdpSubConnection {
  /** Session id (for log lines). */
  readonly id: number;
  /** The peer its New named. */
  readonly destination: Destination & { readonly network: "udp" };
  /** The client's datagrams in, the answers out. */
  readonly packets: PacketStream;
}

/** One sub-connection of a served Mux.Cool connection; tell them apart with `"stream" in sub`. */
export type MuxSubConnection = MuxTcpSubConnection | MuxUdpSubConnection;

/**
 * Routes one sub-connection; called without waiting, once per accepted New. When its promise
 * settles the sub-connection is closed: a no-op once both sides have ended, otherwise an abort
 * (End + Error); a UDP flow is ended without Error.
 */
export type MuxHandler = (sub: MuxSubConnection) => Promise<void> | void;

/**
 * Serves Mux.Cool on `stream` (a VMess body of command Mux) until the client ends it or it fails,
 * and every handler has returned; then closes the stream. Never rejects: a protocol error or a
 * stream failure is the outcome's `error`, for the caller to log once.
 */
export async function serveMux(
  stream: ByteStream,
  handler: MuxHandler,
  limits: Partial<MuxLimits> = {},
  logger: Logger = silentLogger,
): Promise<MuxOutcome> {
  const running = new Set<Promise<void>>();
  const connection = new MuxConnection(stream, {
    role: "server",
    limits: muxLimits(limits),
    logger,
    onOpen: (sub) => {
      const view: MuxSubConnection = sub.destination.network === "udp"
        ? {
          id: sub.id,
          destination: { ...sub.destination, network: "udp" },
          packets: new MuxPacketFlow(sub, logger),
        }
        : { id: sub.id, destination: { ...sub.destination, network: "tcp" }, stream: sub };
      const task = (async () => {
        try {
          await handler(view);
        } catch (e) {
          logger.debug(`mux: handler for session ${sub.id} failed: ${e}`);
        }
        // Done with it: a no-op after a complete exchange, else an abort (a UDP flow just ends).
        if ("packets" in view) view.packets.close();
        else sub.close();
      })();
      running.add(task);
      task.finally(() => running.delete(task));
    },
  });
  const outcome = await connection.finished;
  await Promise.all(running);
  return outcome;
}
