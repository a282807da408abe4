/** SOCKS5 UDP ASSOCIATE: a UDP relay that lives as long as its TCP control connection. */
import type { PacketStream } from "../core/handlers.ts";
import type { Session } from "../core/session.ts";
import type { InstanceContext } from "../engine/context.ts";
import { UdpSocketStream } from "../net/udp.ts";
import { encodeUdpDatagram, parseUdpDatagram } from "./socks_protocol.ts";

/** Flows one association keeps at most (one per destination). */
const MAX_FLOWS = 64;

/** One association: datagrams from the client go out per destination; replies come back wrapped. */
export class SocksUdpAssociation {
  readonly socket: UdpSocketStream;
  readonly #flows = new Map<string, Promise<PacketStream | null>>();
  #client: { address: string; port: number } | null = null;
  readonly #loop: Promise<void>;

  /** Binds a UDP socket on `hostname` and starts relaying for `session`. */
  constructor(hostname: string, readonly session: Session, readonly ctx: InstanceContext) {
    this.socket = UdpSocketStream.bind(hostname);
    this.#loop = this.#receive();
  }

  async #receive(): Promise<void> {
    for (;;) {
      let p;
      try {
        p = await this.socket.read();
      } catch {
        continue;
      }
      if (p === null) return;
      // The first sender is the client; datagrams from anyone else are not ours to relay.
      this.#client ??= { address: p.peer.address, port: p.peer.port };
      if (p.peer.address !== this.#client.address || p.peer.port !== this.#client.port) continue;
      const d = parseUdpDatagram(p.data);
      if (!d) continue;
      const key = `${d.destination.address}:${d.destination.port}`;
      let flow = this.#flows.get(key);
      if (!flow) {
        if (this.#flows.size >= MAX_FLOWS) continue;
        flow = this.ctx.dispatcher.dispatchPacket(this.session, d.destination).then((f) => {
          this.#replies(f);
          return f;
        }, (e) => {
          this.ctx.logger.info(`socks udp ${key}: ${(e as Error).message}`);
          return null;
        });
        this.#flows.set(key, flow);
      }
      const data = d.data.slice();
      flow.then((f) => f?.write({ data, peer: d.destination })).catch(() => {});
    }
  }

  async #replies(flow: PacketStream): Promise<void> {
    try {
      for (let p = await flow.read(); p !== null; p = await flow.read()) {
        const client = this.#client!;
        await this.socket.write({
          data: encodeUdpDatagram(p.peer.address, p.peer.port, p.data),
          peer: { network: "udp", ...client },
        });
      }
    } catch {
      // The flow ended.
    }
  }

  /** Ends the association: the socket and every flow. */
  async close(): Promise<void> {
    this.socket.close();
    await this.#loop;
    for (const f of this.#flows.values()) (await f)?.close();
  }
}
