/** The VMess inbound: users from `clients`, TCP transport, optional detour (dynamic port). */
import { unixSeconds } from "../core/clock.ts";
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound, PersistentState } from "../core/handlers.ts";
import type { InstanceContext } from "../engine/context.ts";
import { VmessServer } from "../vmess/mod.ts";
import type { VmessServerContext } from "../vmess_io/server_session.ts";
import { buildListenStack, type InboundConnection } from "../net/mod.ts";
import { TcpInbound } from "./tcp_inbound.ts";
import { serveVmess } from "./vmess_serve.ts";
import { DynamicVmessInbound } from "./vmess_dynamic.ts";
import {
  inheritVmess,
  replayPersistence,
  vmessBufferSize,
  vmessServerContext,
  vmessUsers,
} from "./vmess_users.ts";
import { DetourAccounts } from "./detour_accounts.ts";
import type { SwitchAccount } from "../vmess/mod.ts";
import type { InboundLookup } from "./mod.ts";

type VmessInboundConfig = Extract<InboundConfig, { protocol: "vmess" }>;

/** A VMess server. */
export class VmessInbound extends TcpInbound {
  readonly server: VmessServer;
  /** The replay filters, kept across restarts. */
  readonly persistent: PersistentState;
  /** The accounts it hands detoured clients, as a detour target. */
  readonly accounts: DetourAccounts;
  readonly #sctx: VmessServerContext;
  readonly #ctx: InstanceContext;
  readonly #config: VmessInboundConfig;

  /** Builds the user registry of `config`; `lookup` finds the detour inbound by tag. */
  constructor(
    config: VmessInboundConfig,
    ctx: InstanceContext,
    lookup: InboundLookup = () => undefined,
  ) {
    super({
      kind: "vmess",
      tag: config.tag,
      listen: config.listen,
      port: config.port,
      stack: buildListenStack(config.stream, { bufferSize: vmessBufferSize(config, ctx) }),
      openMs: ctx.policy.level(0).handshakeMs,
      services: ctx.listening,
    });
    this.#ctx = ctx;
    this.#config = config;
    // The replay windows start by the same (NTP-corrected) clock their checks use.
    this.server = new VmessServer(vmessUsers(config.settings.clients), unixSeconds(ctx.clock));
    this.persistent = replayPersistence(this.server);
    this.accounts = new DetourAccounts(this.server, config.settings.default);
    const detour = config.settings.detour?.to;
    this.#sctx = {
      ...vmessServerContext(config, this.tag, this.server, ctx),
      // Resolved per connection: the detour inbound may be built after this one.
      switchAccount: detour === undefined ? undefined : (email: string) => {
        const target = lookup(detour);
        // The loader only lets detour.to name a vmess inbound.
        return target instanceof DynamicVmessInbound || target instanceof VmessInbound
          ? target.switchAccountFor(email)
          : undefined;
      },
    };
  }

  /**
   * As a detour target, like V2Ray's always-on handler: one of its ports, `email`'s account here,
   * valid for 255 minutes.
   */
  switchAccountFor(email: string): SwitchAccount | undefined {
    const ports = this.addresses().map((a) => Number(a.split(":").pop()));
    return this.accounts.switchAccount(email, ports, 255);
  }

  /** Shares the replay filters of the VMess inbound it replaces at a reload, keeps its accounts. */
  override inherit(previous: Inbound): void {
    inheritVmess(this, previous);
  }

  /** Serves one VMess connection. */
  protected serve(conn: InboundConnection): Promise<void> {
    return serveVmess(conn, this.#sctx, this.#ctx, this.#config.sniffing);
  }
}
