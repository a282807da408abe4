/** dokodemo-door: every connection goes to one fixed destination. */
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import { nextSessionId } from "../core/session.ts";
import { inboundPolicy, type LevelPolicy } from "../config/policy.ts";
import type { InstanceContext } from "../engine/context.ts";
import { proxyTcp } from "../engine/proxy.ts";
import {
  buildListenStack,
  type InboundConnection,
  type ListenStack,
  TcpListenerGroup,
} from "../net/mod.ts";
import { DokodemoUdp, type UdpTarget } from "./dokodemo_udp.ts";
import type { Destination } from "../core/destination.ts";

type DokodemoConfig = Extract<InboundConfig, { protocol: "dokodemo-door" }>;

/** A dokodemo-door inbound (TCP). */
export class DokodemoInbound implements Inbound {
  readonly tag: string;
  readonly #config: DokodemoConfig;
  #group: TcpListenerGroup;
  readonly #udpDest: Destination | null;
  readonly #tcp: boolean;
  readonly #ctx: InstanceContext;
  readonly #policy: LevelPolicy;
  readonly #serving: {
    readonly opts: { name: string; stack: ListenStack; openMs: number };
    readonly handle: (conn: InboundConnection) => Promise<void>;
  };
  #udp: DokodemoUdp[] = [];
  // Listeners taken over at a reload (start() binds none), or given to the inbound replacing it.
  #taken = false;
  #given = false;

  /** A dokodemo-door inbound for `config` (the loader requires its address and port). */
  constructor(config: DokodemoConfig, ctx: InstanceContext) {
    this.#config = config;
    this.tag = config.tag ?? "";
    const s = config.settings;
    const dest = { network: "tcp" as const, address: s.address, port: s.port };
    this.#udpDest = s.network === "tcp" ? null : { ...dest, network: "udp" };
    this.#tcp = s.network !== "udp";
    this.#ctx = ctx;
    const level = inboundPolicy(ctx.policy, s.userLevel, s.timeout);
    this.#policy = level;
    const opts = {
      name: `dokodemo-door ${this.tag}`,
      stack: buildListenStack(config.stream, { bufferSize: level.bufferSize }),
      openMs: level.handshakeMs,
    };
    const handle = async ({ stream, source, established }: InboundConnection) => {
      established(); // No handshake: the target is fixed.
      const session = {
        id: nextSessionId(),
        inboundTag: this.tag,
        source,
        user: { email: "", level: s.userLevel },
      };
      await proxyTcp(ctx, session, dest, stream, { policy: level, sniffing: config.sniffing });
    };
    this.#serving = { opts, handle };
    this.#group = new TcpListenerGroup({ ...opts, ...ctx.listening }, handle);
  }

  #udpTarget(dest: Destination): UdpTarget {
    return {
      tag: this.tag,
      dest,
      level: this.#config.settings.userLevel,
      connIdleMs: this.#policy.connIdleMs,
      ctx: this.#ctx,
    };
  }

  /**
   * Binds the listeners (unless it took them over at a reload); if one cannot be bound, those
   * already bound are closed again, so a failed start (or reload) leaves no port held.
   */
  async start(): Promise<void> {
    if (this.#taken) return;
    const { listen, port } = this.#config;
    if (this.#tcp) this.#group.listen(listen, port.from, port.to); // undoes itself on failure
    try {
      if (this.#udpDest) {
        for (let p = port.from; p <= port.to; p++) {
          // With "tcp,udp" on port 0, UDP takes the port TCP was given.
          const udpPort = p === 0 && this.#tcp
            ? Number(this.#group.addresses()[0].split(":").pop())
            : p;
          this.#udp.push(new DokodemoUdp(listen, udpPort, this.#udpTarget(this.#udpDest)));
        }
      }
    } catch (e) {
      await this.stopAccepting();
      throw e;
    }
  }

  /** Bound addresses. */
  addresses(): string[] {
    if (this.#given) return [];
    return [...this.#group.addresses(), ...this.#udp.map((u) => u.address())];
  }

  /** TCP connections and UDP flows open now. */
  active(): number {
    if (this.#given) return 0;
    return this.#group.active + this.#udp.reduce((n, u) => n + u.active, 0);
  }

  /** Closes listeners and, after the grace, connections. */
  async close(graceMs: number): Promise<void> {
    if (this.#given) return;
    await Promise.all([this.#group.close(graceMs), ...this.#udp.map((u) => u.close())]);
  }

  /** Closes the TCP listeners (live connections run on) and the UDP sockets with their flows. */
  async stopAccepting(): Promise<void> {
    if (this.#given) return;
    const udp = this.#udp.splice(0);
    await Promise.all([this.#group.stopAccepting(), ...udp.map((u) => u.close())]);
  }

  /** Settles once no TCP connection is open. */
  whenIdle(): Promise<void> {
    return this.#given ? Promise.resolve() : this.#group.whenIdle();
  }

  /** Takes over `previous`'s TCP listeners and UDP sockets; their new flows go by this config. */
  takeListeners(previous: Inbound): void {
    if (!(previous instanceof DokodemoInbound) || previous.#given) {
      throw new TypeError(`inbound ${this.tag}: cannot take over the listeners of ${previous.tag}`);
    }
    previous.#given = true;
    this.#group = previous.#group;
    this.#group.retarget(this.#serving.opts, this.#serving.handle);
    this.#udp = previous.#udp;
    previous.#udp = [];
    if (this.#udpDest) { for (const u of this.#udp) u.retarget(this.#udpTarget(this.#udpDest)); }
    this.#taken = true;
  }

  /** Nothing is kept across a reload beyond the listeners. */
  inherit(_previous: Inbound): void {}
}
