/** freedom: connects to the destination directly (domainStrategy, redirect). */
import type { OutboundConfig } from "../config/mod.ts";
import type { Outbound, PacketStream } from "../core/handlers.ts";
import type { Destination } from "../core/destination.ts";
import { addressKind } from "../core/destination.ts";
import { DenorayError } from "../core/errors.ts";
import type { IpFamily } from "../dns/mod.ts";
import type { Session } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import type { InstanceContext } from "../engine/context.ts";
import { UdpSocketStream } from "../net/udp.ts";
import { directDialer, type NetDialer } from "../net/mod.ts";

type FreedomConfig = Extract<OutboundConfig, { protocol: "freedom" }>;

// Distinct names one UDP flow remembers the addresses of.
const MAX_FLOW_NAMES = 64;

/** The freedom outbound. */
export class FreedomOutbound implements Outbound {
  readonly tag: string;
  readonly #config: FreedomConfig;
  readonly #ctx: InstanceContext;
  readonly #dialer: NetDialer;

  /** A freedom outbound that opens its connections with `dialer`. */
  constructor(config: FreedomConfig, ctx: InstanceContext, dialer = directDialer) {
    this.tag = config.tag ?? "";
    this.#config = config;
    this.#ctx = ctx;
    this.#dialer = dialer;
  }

  // redirect "host:port" replaces the destination (an empty host or port 0 keeps that part).
  #target(d: Destination): Destination {
    const r = this.#config.settings.redirect;
    if (!r) return d;
    const i = r.lastIndexOf(":");
    const host = r.slice(0, i).replace(/^\[|\]$/g, "");
    const port = Number(r.slice(i + 1));
    return { network: d.network, address: host || d.address, port: port || d.port };
  }

  async #resolve(address: string): Promise<string> {
    const strategy = this.#config.settings.domainStrategy;
    if (strategy === "AsIs" || addressKind(address) !== "domain") return address;
    const family: IpFamily = strategy === "UseIPv6"
      ? "ipv6"
      : strategy === "UseIPv4"
      ? "ipv4"
      : "ip";
    try {
      // The first address: an IPv4 one when UseIP finds both.
      return (await this.#ctx.resolver.lookup(address, family))[0];
    } catch (e) {
      throw new DenorayError("dns", `cannot resolve ${address}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Connects over TCP. */
  async dial(session: Session, destination: Destination): Promise<ByteStream> {
    const d = this.#target(destination);
    const host = await this.#resolve(d.address);
    const level = this.#ctx.policy.level(session.user?.level ?? this.#config.settings.userLevel);
    return await this.#dialer.dialStream(session, host, d.port, level.bufferSize);
  }

  /** A UDP socket for datagrams to `destination` (and any other peer the client names). */
  async dialPacket(session: Session, destination: Destination): Promise<PacketStream> {
    const d = this.#target(destination);
    // domainStrategy applies to datagrams as to TCP; the socket's family follows the address used.
    const host = await this.#resolve(d.address);
    if (this.#dialer.dialPacket) {
      return this.#chainedPacket(session, destination, { ...d, address: host });
    }
    const inner = UdpSocketStream.bind(addressKind(host) === "ipv6" ? "::" : "0.0.0.0");
    // Names are resolved once per flow, not per datagram (bounded: a client may name many peers).
    const names = new Map<string, string>([[d.address, host]]);
    const resolve = async (a: string): Promise<string> => {
      const known = names.get(a);
      if (known !== undefined) return known;
      const ip = await this.#resolve(a);
      if (names.size < MAX_FLOW_NAMES) names.set(a, ip);
      return ip;
    };
    // With a redirect, every datagram goes to the redirect target; replies look like the original peer's.
    const redirected = d !== destination;
    return {
      read: async () => {
        const p = await inner.read();
        return p === null || !redirected ? p : { data: p.data, peer: destination };
      },
      write: async (p) => {
        const peer = redirected ? d : p.peer;
        const address = await resolve(peer.address);
        await inner.write({
          data: p.data,
          peer: address === peer.address ? peer : { ...peer, address },
        });
      },
      close: () => inner.close(),
    };
  }

  // Through a proxy outbound: one flow to the (redirected, resolved) target, as V2Ray's freedom
  // writes every datagram of a flow to its first destination; replies carry the original peer.
  async #chainedPacket(
    session: Session,
    destination: Destination,
    target: Destination,
  ): Promise<PacketStream> {
    const inner = await this.#dialer.dialPacket!(session, target);
    return {
      read: async () => {
        const p = await inner.read();
        return p === null ? null : { data: p.data, peer: destination };
      },
      write: (p) => inner.write({ data: p.data, peer: target }),
      close: () => inner.close(),
    };
  }
}
