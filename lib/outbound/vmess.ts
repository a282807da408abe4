/** The VMess outbound: round robin over `vnext`, the next server when a connect fails. */
import type { OutboundConfig } from "../config/mod.ts";
import type { Outbound, PacketStream } from "../core/handlers.ts";
import type { Destination } from "../core/destination.ts";
import { DenorayError } from "../core/errors.ts";
import type { Session } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import type { InstanceContext } from "../engine/context.ts";
import { connectVmess } from "../vmess_io/client_connect.ts";
import type { VmessBodyStream } from "../vmess_io/body_stream.ts";
import { VmessPacketFlow } from "../vmess_io/packet_flow.ts";
import { ServerList, type VmessEndpoint } from "../vmess_io/server_list.ts";
import type { SwitchAccount } from "../vmess/mod.ts";
import { directDialer, type NetDialer } from "../net/mod.ts";
import { MUX_COOL_DESTINATION, readMuxSetting } from "../mux/mod.ts";
import { MuxClientPool } from "../mux_io/mod.ts";

type VmessOutboundConfig = Extract<OutboundConfig, { protocol: "vmess" }>;

/** A VMess client. */
export class VmessOutbound implements Outbound {
  readonly tag: string;
  readonly #servers: ServerList;
  readonly #ctx: InstanceContext;
  readonly #dialer: NetDialer;
  // With mux: sub-connections over pooled VMess connections of command Mux.
  readonly #mux: MuxClientPool<Session> | null;

  /** Servers and users from `config.settings.vnext`; servers are reached through `dialer`. */
  constructor(config: VmessOutboundConfig, ctx: InstanceContext, dialer = directDialer) {
    this.tag = config.tag ?? "";
    this.#ctx = ctx;
    this.#dialer = dialer;
    this.#servers = new ServerList(
      config.settings.vnext.map((s) =>
        s.users.map((u): VmessEndpoint => ({
          address: s.address,
          port: s.port,
          id: u.id,
          alterId: u.alterId,
          security: u.security,
          level: u.level,
          authenticatedLength: u.experiments?.authenticatedLength ?? false,
          noTerminationSignal: u.experiments?.noTerminationSignal ?? false,
        }))
      ),
    );
    const mux = readMuxSetting(config.mux);
    this.#mux = mux.kind === "on" && mux.enabled
      ? new MuxClientPool<Session>((s) => this.#connect(s, MUX_COOL_DESTINATION), {
        concurrency: mux.concurrency,
        logger: ctx.logger,
      })
      : null;
  }

  // As V2Ray's client: the account is used with legacy security (aes-128-cfb) until it expires.
  #switchAccount = (cmd: SwitchAccount, via: VmessEndpoint): void => {
    this.#servers.add({
      address: cmd.host || via.address,
      port: cmd.port,
      id: cmd.id,
      alterId: cmd.alterIds,
      security: "aes-128-cfb",
      level: cmd.level,
      authenticatedLength: false,
      noTerminationSignal: false,
      expiresAt: Date.now() + cmd.validMinutes * 60_000,
    });
    this.#ctx.logger.info(`vmess ${this.tag}: server switched account to port ${cmd.port}`);
  };

  /** Connects through the first reachable server (a Mux.Cool sub-connection with mux on). */
  dial(session: Session, destination: Destination): Promise<ByteStream> {
    const tcp = { ...destination, network: "tcp" as const };
    return this.#mux ? this.#mux.openStream(tcp, session) : this.#connect(session, tcp);
  }

  /** A VMess UDP connection to `destination` (datagrams for other peers are dropped). */
  async dialPacket(session: Session, destination: Destination): Promise<PacketStream> {
    const udp = { ...destination, network: "udp" as const };
    if (this.#mux) return await this.#mux.openPackets(udp, session);
    return new VmessPacketFlow(await this.#connect(session, udp), udp, this.#ctx.logger);
  }

  /** Closes the pooled Mux.Cool connections (their sub-connections are cut). */
  close(): void {
    this.#mux?.close();
  }

  async #connect(session: Session, destination: Destination): Promise<VmessBodyStream> {
    let last: unknown;
    for (const ep of this.#servers.candidates()) {
      this.#ctx.logger.debug(`vmess ${this.tag}: connecting to ${ep.address}:${ep.port}`);
      const bufferSize = this.#ctx.policy.level(session.user?.level ?? ep.level).bufferSize;
      try {
        return await connectVmess(ep, destination, {
          clock: this.#ctx.clock,
          dial: (address, port) => this.#dialer.dialStream(session, address, port, bufferSize),
          onSwitchAccount: this.#switchAccount,
        });
      } catch (e) {
        last = e;
        this.#ctx.logger.info(
          `vmess ${this.tag}: ${ep.address}:${ep.port} unreachable: ${(e as Error).message}`,
        );
      }
    }
    throw new DenorayError(
      "unreachable",
      `vmess ${this.tag}: no server reachable (${(last as Error)?.message})`,
    );
  }
}
