/** dokodemo-door: every connection goes to one fixed destination. */
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import { nextSessionId } from "../core/session.ts";
import { DenorayError } from "../core/errors.ts";
import type { InstanceContext } from "../app/context.ts";
import { proxyTcp } from "../app/proxy.ts";
import { TcpStream } from "../transport/tcp.ts";
import { TcpListenerGroup } from "./tcp_listener.ts";

type DokodemoConfig = Extract<InboundConfig, { protocol: "dokodemo-door" }>;

/** A dokodemo-door inbound (TCP). */
export class DokodemoInbound implements Inbound {
  readonly tag: string;
  readonly #config: DokodemoConfig;
  readonly #group: TcpListenerGroup;

  /** Validates what the config asks for that we cannot do yet. */
  constructor(config: DokodemoConfig, ctx: InstanceContext) {
    this.#config = config;
    this.tag = config.tag ?? "";
    const s = config.settings;
    if (s.address === undefined || s.port === undefined) {
      throw new DenorayError(
        "config",
        `dokodemo-door ${this.tag}: settings.address and settings.port are required`,
      );
    }
    if (s.network !== "tcp") {
      throw new DenorayError(
        "not-implemented",
        `dokodemo-door ${this.tag}: network "${s.network}" is not implemented yet`,
      );
    }
    const dest = { network: "tcp" as const, address: s.address, port: s.port };
    const level = ctx.policy.level(s.userLevel);
    this.#group = new TcpListenerGroup(`dokodemo-door ${this.tag}`, async (conn) => {
      const r = conn.remoteAddr as Deno.NetAddr;
      const session = {
        id: nextSessionId(),
        inboundTag: this.tag,
        source: { address: r.hostname, port: r.port },
        user: { email: "", level: s.userLevel },
      };
      await proxyTcp(ctx, session, dest, new TcpStream(conn, level.bufferSize));
    }, ctx.logger);
  }

  /** Binds the listeners. */
  start(): Promise<void> {
    this.#group.listen(this.#config.listen, this.#config.port.from, this.#config.port.to);
    return Promise.resolve();
  }

  /** Bound addresses. */
  addresses(): string[] {
    return this.#group.addresses();
  }

  /** Closes listeners and, after the grace, connections. */
  close(graceMs: number): Promise<void> {
    return this.#group.close(graceMs);
  }
}
