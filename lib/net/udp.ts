/** UDP sockets (Deno.listenDatagram, behind --unstable-net) as PacketStreams. */
import type { Datagram, PacketStream } from "../core/handlers.ts";
import { addressKind } from "../core/destination.ts";
import { DenorayError } from "../core/errors.ts";

/** An unconnected UDP socket: datagrams to and from any peer. */
export class UdpSocketStream implements PacketStream {
  readonly #socket: Deno.DatagramConn;
  #closed = false;

  /** Wraps a bound datagram socket. */
  constructor(socket: Deno.DatagramConn) {
    this.#socket = socket;
  }

  /** Binds a fresh socket on `hostname` (port chosen by the OS). */
  static bind(hostname: string, port = 0): UdpSocketStream {
    if (typeof (Deno as { listenDatagram?: unknown }).listenDatagram !== "function") {
      throw new DenorayError(
        "udp-unavailable",
        'UDP sockets need Deno\'s --unstable-net (or "unstable": ["net"] in deno.json)',
      );
    }
    return new UdpSocketStream(Deno.listenDatagram({ transport: "udp", hostname, port }));
  }

  /** The bound port. */
  get port(): number {
    return (this.#socket.addr as Deno.NetAddr).port;
  }

  /** The next datagram, or null once closed. */
  async read(): Promise<Datagram | null> {
    if (this.#closed) return null;
    try {
      const [data, addr] = await this.#socket.receive();
      const a = addr as Deno.NetAddr;
      return { data, peer: { network: "udp", address: a.hostname, port: a.port } };
    } catch (e) {
      if (this.#closed) return null;
      throw e;
    }
  }

  /** Sends one datagram; a domain peer is resolved first. */
  async write(packet: Datagram): Promise<void> {
    let host = packet.peer.address;
    if (addressKind(host) === "domain") {
      const r = await Deno.resolveDns(host, "A").catch(() => [] as string[]);
      if (r.length === 0) throw new DenorayError("dns", `cannot resolve ${host}`);
      host = r[0];
    }
    await this.#socket.send(packet.data, {
      transport: "udp",
      hostname: host,
      port: packet.peer.port,
    });
  }

  /** Closes the socket; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket.close();
    } catch {
      // Already closed.
    }
  }
}
