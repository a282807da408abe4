/** The dispatcher: routing decision, then the chosen outbound's dial. */
import type { Dispatcher, Outbound, PacketStream } from "../core/handlers.ts";
import type { Destination } from "../core/destination.ts";
import type { Session } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import type { Router } from "../routing/mod.ts";
import { DenorayError } from "../core/errors.ts";
import { addressKind } from "../core/destination.ts";
import type { TrafficStats } from "../stats/counters.ts";
import { countedPackets } from "../stats/counted_packets.ts";
import { ActiveCounts } from "./active.ts";
import { type HostResolver, systemResolver } from "../dns_client/mod.ts";

/** Routes with `router` over `outbounds` (the first is the default). */
export class RoutingDispatcher implements Dispatcher {
  readonly #router: Router;
  readonly #stats: TrafficStats | undefined;
  readonly #active: ActiveCounts;
  readonly #resolver: HostResolver;
  #outbounds: Outbound[] = [];
  #byTag = new Map<string, Outbound>();

  /**
   * A dispatcher; outbounds are set once they are built (they may need the dispatcher). With
   * `stats`, UDP flows count their payload bytes (TCP relays count in proxyTcp); open UDP flows
   * are counted in `active` per outbound. IPIfNonMatch and IPOnDemand resolve with `resolver`.
   */
  constructor(
    router: Router,
    stats?: TrafficStats,
    active = new ActiveCounts(),
    resolver: HostResolver = systemResolver,
  ) {
    this.#router = router;
    this.#stats = stats;
    this.#active = active;
    this.#resolver = resolver;
  }

  /** Installs the outbounds, in config order. */
  setOutbounds(outbounds: Outbound[]): void {
    this.#outbounds = outbounds;
    this.#byTag = new Map(outbounds.filter((o) => o.tag !== "").map((o) => [o.tag, o]));
  }

  /** Every outbound, in config order. */
  get outbounds(): readonly Outbound[] {
    return this.#outbounds;
  }

  /** The outbound with `tag`. */
  outbound(tag: string): Outbound | undefined {
    return this.#byTag.get(tag);
  }

  /** The outbound for a session and destination. */
  async route(session: Session, destination: Destination): Promise<Outbound> {
    let tag = this.#router.route(session, destination);
    if (this.#router.resolvesDomains && addressKind(destination.address) === "domain") {
      // IPIfNonMatch resolves only when no rule matched the domain; IPOnDemand (approximated) too.
      if (tag === null) {
        // A name that does not resolve leaves routing with no IPs, as in 4.34.
        const ips = await this.#resolver.lookup(destination.address, "ip").catch(() => []);
        tag = this.#router.route(session, destination, ips);
      }
    }
    const ob = tag === null ? this.#outbounds[0] : this.#byTag.get(tag);
    if (!ob) {
      throw new DenorayError(
        "no-outbound",
        `no outbound for ${destination.address}:${destination.port}`,
      );
    }
    return ob;
  }

  /** Routes and dials a TCP destination. */
  async dispatch(session: Session, destination: Destination): Promise<ByteStream> {
    return await (await this.route(session, destination)).dial(session, destination);
  }

  /** Routes and opens a UDP flow. */
  async dispatchPacket(session: Session, destination: Destination): Promise<PacketStream> {
    const outbound = await this.route(session, destination);
    const flow = await outbound.dialPacket(session, destination);
    const release = this.#active.open(outbound.tag);
    const open: PacketStream = {
      read: () => flow.read(),
      write: (p) => flow.write(p),
      close: () => {
        release();
        flow.close();
      },
    };
    return this.#stats ? countedPackets(open, this.#stats, session, outbound.tag) : open;
  }
}
