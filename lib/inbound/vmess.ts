/** The VMess inbound: users from `clients`, TCP transport, optional detour (dynamic port). */
import type { InboundConfig } from "../config/mod.ts";
import type { InstanceContext } from "../app/context.ts";
import { VmessServer } from "../vmess/mod.ts";
import { serveVmessConnection, type VmessServerContext } from "../vmess_io/server_session.ts";
import { TcpInbound } from "./tcp_inbound.ts";
import { DynamicVmessInbound } from "./vmess_dynamic.ts";
import { vmessUsers } from "./vmess_users.ts";
import type { InboundLookup } from "./mod.ts";

type VmessInboundConfig = Extract<InboundConfig, { protocol: "vmess" }>;

/** A VMess server. */
export class VmessInbound extends TcpInbound {
  readonly server: VmessServer;
  readonly #sctx: VmessServerContext;

  /** Builds the user registry of `config`; `lookup` finds the detour inbound by tag. */
  constructor(
    config: VmessInboundConfig,
    ctx: InstanceContext,
    lookup: InboundLookup = () => undefined,
  ) {
    super("vmess", config.tag, config.listen, config.port, ctx.logger);
    this.server = new VmessServer(vmessUsers(config.settings.clients));
    const detour = config.settings.detour?.to;
    this.#sctx = {
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
  }

  /** Serves one VMess connection. */
  protected serve(conn: Deno.Conn): Promise<void> {
    return serveVmessConnection(conn, this.#sctx);
  }
}
