/** A VMess UDP connection (one datagram per chunk, one destination) as a PacketStream. */
import type { Datagram, PacketStream } from "../core/handlers.ts";
import type { Destination } from "../core/destination.ts";
import type { ByteStream } from "../core/stream.ts";
import type { Logger } from "../log/mod.ts";
import { MAX_UDP_PAYLOAD } from "./limits.ts";

/** Datagrams over a packet-mode VMess body stream; its peer is the request's destination. */
export class VmessPacketFlow implements PacketStream {
  readonly #stream: ByteStream;
  readonly #peer: Destination;
  readonly #logger: Logger;

  /** Wraps `stream` (a packet-mode VmessBodyStream) whose header named `peer`. */
  constructor(stream: ByteStream, peer: Destination, logger: Logger) {
    this.#stream = stream;
    this.#peer = peer;
    this.#logger = logger;
  }

  /** The next datagram from the VMess peer. */
  async read(): Promise<Datagram | null> {
    const chunk = await this.#stream.read();
    return chunk === null ? null : { data: chunk.slice(), peer: this.#peer };
  }

  /**
   * Sends one datagram. Oversized ones are dropped (V2Ray 4.34 loses sync on them, spec §6.1),
   * and so are datagrams for another peer: a VMess UDP connection carries one destination.
   */
  async write(p: Datagram): Promise<void> {
    if (p.data.length > MAX_UDP_PAYLOAD) {
      this.#logger.debug(
        `vmess udp: dropped a ${p.data.length}-byte datagram (limit ${MAX_UDP_PAYLOAD})`,
      );
      return;
    }
    if (p.peer.address !== this.#peer.address || p.peer.port !== this.#peer.port) {
      this.#logger.debug(
        `vmess udp: dropped a datagram for ${p.peer.address}:${p.peer.port}, not this flow's peer`,
      );
      return;
    }
    if (p.data.length > 0) await this.#stream.write(p.data);
  }

  /** Closes the VMess connection. */
  close(): void {
    this.#stream.close();
  }
}
