/** The VMess inbound: users from `clients`, TCP transport. */
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import type { InstanceContext } from "../app/context.ts";
import { parseUuid, VmessServer } from "../vmess/mod.ts";
import { serveVmessConnection } from "../vmess_io/server_session.ts";
import { TcpListenerGroup } from "./tcp_listener.ts";
import { DynamicVmessInbound } from "./vmess_dynamic.ts";
import type { InboundLookup } from "./mod.ts";

type VmessInboundConfig = Extract<InboundConfig, { protocol: "vmess" }>;

/** A VMess server. */
export class VmessInbound implements Inbound {
  readonly tag: string;
  readonly server: VmessServer;
  readonly #config: VmessInboundConfig;
  readonly #group: TcpListenerGroup;

  /** Builds the user registry of `config`. */
  constructor(
    config: VmessInboundConfig,
    ctx: InstanceContext,
    lookup: InboundLookup = () => undefined,
  ) {
    this.tag = config.tag ?? "";
    this.#config = config;
    this.server = new VmessServer(config.settings.clients.map((c) => ({
      id: parseUuid(c.id)!,
      alterId: c.alterId,
      level: c.level,
      email: c.email ?? "",
    })));
    const detour = config.settings.detour?.to;
    const sctx = {
      tag: this.tag,
      server: this.server,
      secureOnly: config.settings.disableInsecureEncryption,
      instance: ctx,
      // Resolved per connection: the detour inbound may be built after this one.
      switchAccount: detour === undefined ? undefined : (email: string) => {
        const target = lookup(detour);
        return target instanceof DynamicVmessInbound ? target.switchAccountFor(email) : undefined;
      },
    };
    this.#group = new TcpListenerGroup(
      `vmess ${this.tag}`,
      (conn) => serveVmessConnection(conn, sctx),
      ctx.logger,
    );
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

  /** Closes listeners, then connections after the grace. */
  close(graceMs: number): Promise<void> {
    return this.#group.close(graceMs);
  }
}
