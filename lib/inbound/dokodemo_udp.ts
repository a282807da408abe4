/** dokodemo-door over UDP: each client address gets its own flow to the fixed destination. */
import type { Destination } from "../core/destination.ts";
import { nextSessionId } from "../core/session.ts";
import type { PacketStream } from "../core/handlers.ts";
import type { InstanceContext } from "../engine/context.ts";
import { UdpSocketStream } from "../net/udp.ts";
import { relayPackets } from "../net/packet_relay.ts";

/** Flows a UDP listener keeps at most (each holds a socket or a VMess connection). */
export const MAX_UDP_FLOWS = 1024;

/** Datagrams a flow keeps while its route is still being set up; later ones are dropped, as UDP may. */
export const MAX_QUEUED_DATAGRAMS = 64;

/** Where a UDP listener's new flows go, and how. */
export interface UdpTarget {
  /** The inbound's tag. */
  readonly tag: string;
  /** The fixed destination. */
  readonly dest: Destination;
  /** The sessions' user level. */
  readonly level: number;
  /** A flow idle this long is closed, ms. */
  readonly connIdleMs: number;
  /** The instance's services (dispatcher, logger). */
  readonly ctx: InstanceContext;
}

interface FlowEntry {
  readonly queue: Uint8Array[];
  readonly dest: Destination;
  flow?: PacketStream;
}

/** A UDP listener that forwards datagrams per client address. */
export class DokodemoUdp {
  readonly #socket: UdpSocketStream;
  readonly #flows = new Map<string, FlowEntry>();
  readonly #loop: Promise<void>;
  #target: UdpTarget;

  /** Binds `hostname:port` and forwards per `target`. */
  constructor(readonly hostname: string, port: number, target: UdpTarget) {
    this.#target = target;
    this.#socket = UdpSocketStream.bind(hostname, port);
    this.#loop = this.#receive();
  }

  /** New flows go by `target` from now on (a reload); open ones keep theirs. */
  retarget(target: UdpTarget): void {
    this.#target = target;
  }

  /** "udp host:port" of the listener. */
  address(): string {
    return `udp ${
      this.hostname.includes(":") ? `[${this.hostname}]` : this.hostname
    }:${this.#socket.port}`;
  }

  async #receive(): Promise<void> {
    for (;;) {
      let p;
      try {
        p = await this.#socket.read();
      } catch (e) {
        const { ctx, tag } = this.#target;
        ctx.logger.warning(`dokodemo-door ${tag} udp: ${(e as Error).message}`);
        continue;
      }
      if (p === null) return;
      const key = `${p.peer.address}:${p.peer.port}`;
      const existing = this.#flows.get(key);
      if (existing) {
        if (existing.flow) {
          existing.flow.write({ data: p.data, peer: existing.dest }).catch(() => {});
        } else if (existing.queue.length < MAX_QUEUED_DATAGRAMS) existing.queue.push(p.data);
        continue;
      }
      if (this.#flows.size >= MAX_UDP_FLOWS) continue;
      const target = this.#target;
      const entry: FlowEntry = { queue: [p.data], dest: target.dest };
      this.#flows.set(key, entry);
      this.#start(key, p.peer, entry, target).catch(() => {});
    }
  }

  async #start(key: string, client: Destination, entry: FlowEntry, target: UdpTarget) {
    const { tag, dest, level, connIdleMs, ctx } = target;
    const session = {
      id: nextSessionId(),
      inboundTag: tag,
      source: { address: client.address, port: client.port },
      user: { email: "", level },
    };
    try {
      const flow = await ctx.dispatcher.dispatchPacket(session, dest);
      entry.flow = flow;
      for (const d of entry.queue.splice(0)) await flow.write({ data: d, peer: dest });
      // The client side of the flow: replies go back to the client's address on our socket.
      const socket = this.#socket;
      // Client datagrams arrive through #receive; this side only carries replies, until closed.
      const ended = Promise.withResolvers<null>();
      const back: PacketStream = {
        read: () => ended.promise,
        write: (p) => socket.write({ data: p.data, peer: client }),
        close: () => ended.resolve(null),
      };
      await relayPackets(back, flow, connIdleMs);
    } catch (e) {
      ctx.logger.info(`dokodemo-door ${tag} udp ${key}: ${(e as Error).message}`);
    } finally {
      entry.flow?.close();
      this.#flows.delete(key);
    }
  }

  /** UDP flows open now. */
  get active(): number {
    return this.#flows.size;
  }

  /** Closes the socket and every flow. */
  async close(): Promise<void> {
    this.#socket.close();
    await this.#loop;
    for (const e of this.#flows.values()) e.flow?.close();
  }
}
