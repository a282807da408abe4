/** A UDP sub-connection as a PacketStream: one datagram per Keep frame. */
import type { Datagram, PacketStream } from "../core/handlers.ts";
import type { Destination } from "../core/destination.ts";
import type { Logger } from "../log/mod.ts";
import { MAX_UDP_DATA } from "../mux/mod.ts";
import type { SubConnection } from "./sub_connection.ts";

function samePeer(a: Destination, b: Destination): boolean {
  return a.address === b.address && a.port === b.port;
}

/**
 * Datagrams of one UDP sub-connection. Its peer is the New frame's destination, or the one an Xray
 * Keep named. A datagram for another peer is sent with its address only if the other side named
 * peers itself (a 4.34 peer would take it for the New destination's), else dropped; so is one over
 * 2048 bytes, which would make a 4.34 peer end the whole connection.
 */
export class MuxPacketFlow implements PacketStream {
  readonly #sub: SubConnection;
  readonly #logger: Logger;

  /** Wraps `sub`, whose destination's network is udp. */
  constructor(sub: SubConnection, logger: Logger) {
    this.#sub = sub;
    this.#logger = logger;
  }

  /** The next datagram from the other side, or null once it ended. */
  async read(): Promise<Datagram | null> {
    const r = await this.#sub.receive();
    if (r === null) return null;
    return { data: r.data, peer: r.peer ?? this.#sub.destination };
  }

  /** Sends one datagram, or drops it (logged at debug) as the class comment says. */
  write(p: Datagram): Promise<void> {
    if (p.data.length > MAX_UDP_DATA) {
      this.#logger.debug(
        `mux udp: dropped a ${p.data.length}-byte datagram (limit ${MAX_UDP_DATA})`,
      );
      return Promise.resolve();
    }
    if (samePeer(p.peer, this.#sub.destination)) return this.#sub.writeDatagram(p.data);
    if (this.#sub.peerNamedPeers) {
      return this.#sub.writeDatagram(p.data, {
        network: "udp",
        address: p.peer.address,
        port: p.peer.port,
      });
    }
    this.#logger.debug(
      `mux udp: dropped a datagram for ${p.peer.address}:${p.peer.port}, not this flow's peer`,
    );
    return Promise.resolve();
  }

  /** Ends the flow (End without Error) and forgets it. */
  close(): void {
    this.#sub.finish();
  }
}
