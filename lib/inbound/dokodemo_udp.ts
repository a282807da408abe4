/** dokodemo-door over UDP: each client address gets its own flow to the fixed destination. */
import type { Destination } from "../core/destination.ts";
import { nextSessionId } from "../core/session.ts";
import type { PacketStream } from "../core/handlers.ts";
import type { InstanceContext } from "../engine/context.ts";
import { UdpSocketStream } from "../net/udp.ts";
import { relayPackets } from "../net/packet_relay.ts";

/** Flows a UDP listener keeps at most (each holds a socket or a VMess connection). */
export const MAX_UDP_FLOWS = 1024;

/** A UDP listener that forwards datagrams per client address. */
export class DokodemoUdp {
  readonly #socket: UdpSocketStream;
  readonly #flows = new Map<
    string,
    { queue: Uint8Array[]; flow?: PacketStream; closed: boolean }
  >();
  readonly #loop: Promise<void>;

  /** Binds `hostname:port` and forwards to `dest`; a flow idle for `connIdleMs` is closed. */
  constructor(
    readonly hostname: string,
    port: number,
    readonly tag: string,
    readonly dest: Destination,
    readonly level: number,
    readonly connIdleMs: number,
    readonly ctx: InstanceContext,
  ) {
    this.#socket = UdpSocketStream.bind(hostname, port);
    this.#loop = this.#receive();
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
        this.ctx.logger.warning(`dokodemo-door ${this.tag} udp: ${(e as Error).message}`);
        continue;
      }
      if (p === null) return;
      const key = `${p.peer.address}:${p.peer.port}`;
      const existing = this.#flows.get(key);
      if (existing) {
        if (existing.flow) existing.flow.write({ data: p.data, peer: this.dest }).catch(() => {});
        else existing.queue.push(p.data);
        continue;
      }
      if (this.#flows.size >= MAX_UDP_FLOWS) continue;
      const entry = { queue: [p.data], closed: false } as {
        queue: Uint8Array[];
        flow?: PacketStream;
        closed: boolean;
      };
      this.#flows.set(key, entry);
      this.#start(key, p.peer, entry).catch(() => {});
    }
  }

  async #start(
    key: string,
    client: Destination,
    entry: { queue: Uint8Array[]; flow?: PacketStream; closed: boolean },
  ) {
    const session = {
      id: nextSessionId(),
      inboundTag: this.tag,
      source: { address: client.address, port: client.port },
      user: { email: "", level: this.level },
    };
    try {
      const flow = await this.ctx.dispatcher.dispatchPacket(session, this.dest);
      entry.flow = flow;
      for (const d of entry.queue.splice(0)) await flow.write({ data: d, peer: this.dest });
      // The client side of the flow: replies go back to the client's address on our socket.
      const socket = this.#socket;
      // Client datagrams arrive through #receive; this side only carries replies, until closed.
      const ended = Promise.withResolvers<null>();
      const back: PacketStream = {
        read: () => ended.promise,
        write: (p) => socket.write({ data: p.data, peer: client }),
        close: () => ended.resolve(null),
      };
      await relayPackets(back, flow, this.connIdleMs);
    } catch (e) {
      this.ctx.logger.info(`dokodemo-door ${this.tag} udp ${key}: ${(e as Error).message}`);
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
