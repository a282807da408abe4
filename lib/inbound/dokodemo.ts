/** dokodemo-door: every connection goes to one fixed destination. */
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import { nextSessionId } from "../core/session.ts";
import { inboundPolicy, type LevelPolicy } from "../config/policy.ts";
import type { InstanceContext } from "../engine/context.ts";
import { proxyTcp } from "../engine/proxy.ts";
import { buildListenStack, TcpListenerGroup } from "../net/mod.ts";
import { DokodemoUdp } from "./dokodemo_udp.ts";
import type { Destination } from "../core/destination.ts";

type DokodemoConfig = Extract<InboundConfig, { protocol: "dokodemo-door" }>;

/** A dokodemo-door inbound (TCP). */
export class DokodemoInbound implements Inbound {
  readonly tag: string;
  readonly #config: DokodemoConfig;
  readonly #group: TcpListenerGroup;
  readonly #udpDest: Destination | null;
  readonly #tcp: boolean;
  readonly #ctx: InstanceContext;
  readonly #policy: LevelPolicy;
  #udp: DokodemoUdp[] = [];

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
      ...ctx.listening,
    };
    this.#group = new TcpListenerGroup(opts, async ({ stream, source, established }) => {
      established(); // No handshake: the target is fixed.
      const session = {
        id: nextSessionId(),
        inboundTag: this.tag,
        source,
        user: { email: "", level: s.userLevel },
      };
      await proxyTcp(ctx, session, dest, stream, { policy: level, sniffing: config.sniffing });
    });
  }

  /** Binds the listeners. */
  start(): Promise<void> {
    const { listen, port } = this.#config;
    if (this.#tcp) this.#group.listen(listen, port.from, port.to);
    if (this.#udpDest) {
      for (let p = port.from; p <= port.to; p++) {
        // With "tcp,udp" on port 0, UDP takes the port TCP was given.
        const udpPort = p === 0 && this.#tcp
          ? Number(this.#group.addresses()[0].split(":").pop())
          : p;
        this.#udp.push(
          new DokodemoUdp(
            listen,
            udpPort,
            this.tag,
            this.#udpDest,
            this.#config.settings.userLevel,
            this.#policy.connIdleMs,
            this.#ctx,
          ),
        );
      }
    }
    return Promise.resolve();
  }

  /** Bound addresses. */
  addresses(): string[] {
    return [...this.#group.addresses(), ...this.#udp.map((u) => u.address())];
  }

  /** TCP connections and UDP flows open now. */
  active(): number {
    return this.#group.active + this.#udp.reduce((n, u) => n + u.active, 0);
  }

  /** Closes listeners and, after the grace, connections. */
  async close(graceMs: number): Promise<void> {
    await Promise.all([this.#group.close(graceMs), ...this.#udp.map((u) => u.close())]);
  }
}
