/**
 * A dynamic-port VMess inbound (`allocate.strategy: "random"`): listens on `concurrency` random
 * ports of its range, re-picked every `refresh` minutes; a detouring inbound hands its clients the
 * account of their email here (see DetourAccounts) in a SwitchAccount command.
 */
import { unixSeconds } from "../core/clock.ts";
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound, PersistentState } from "../core/handlers.ts";
import type { InstanceContext } from "../engine/context.ts";
import { randomInt } from "../core/bytes.ts";
import { type SwitchAccount, VmessServer } from "../vmess/mod.ts";
import { DetourAccounts } from "./detour_accounts.ts";
import { buildListenStack, type InboundConnection, TcpListenerGroup } from "../net/mod.ts";
import {
  inheritVmess,
  replayPersistence,
  vmessBufferSize,
  vmessServerContext,
  vmessUsers,
} from "./vmess_users.ts";
import { serveVmess } from "./vmess_serve.ts";

type VmessInboundConfig = Extract<InboundConfig, { protocol: "vmess" }>;

/** The detour target of a VMess inbound. */
export class DynamicVmessInbound implements Inbound {
  readonly tag: string;
  readonly server: VmessServer;
  /** The replay filters, kept across restarts. */
  readonly persistent: PersistentState;
  /** The accounts it makes for detoured clients' emails. */
  readonly accounts: DetourAccounts;
  readonly #config: VmessInboundConfig;
  readonly #ctx: InstanceContext;
  #groups: TcpListenerGroup[] = [];
  #ports: number[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  // Listeners taken over at a reload (start() binds none), or given to the inbound replacing it.
  #taken = false;
  #given = false;

  /** Users start as the configured clients; per-email accounts are added on demand. */
  constructor(config: VmessInboundConfig, ctx: InstanceContext) {
    this.tag = config.tag ?? "";
    this.#config = config;
    this.#ctx = ctx;
    // The replay windows start by the same (NTP-corrected) clock their checks use.
    this.server = new VmessServer(vmessUsers(config.settings.clients), unixSeconds(ctx.clock));
    this.persistent = replayPersistence(this.server);
    this.accounts = new DetourAccounts(this.server, config.settings.default);
  }

  get #refreshMinutes(): number {
    return this.#config.allocate?.refresh ?? 5;
  }

  #pickPorts(): number[] {
    const { from, to } = this.#config.port;
    const want = Math.min(this.#config.allocate?.concurrency ?? 3, to - from + 1);
    const ports = new Set<number>();
    while (ports.size < want) ports.add(from + randomInt(to - from + 1));
    return [...ports];
  }

  // How its listeners open and serve connections (the same for every port).
  #serving() {
    const sctx = vmessServerContext(this.#config, this.tag, this.server, this.#ctx);
    return {
      opts: {
        name: `vmess ${this.tag}`,
        stack: buildListenStack(this.#config.stream, {
          bufferSize: vmessBufferSize(this.#config, this.#ctx),
        }),
        openMs: this.#ctx.policy.level(0).handshakeMs,
      },
      handle: (conn: InboundConnection) => serveVmess(conn, sctx, this.#ctx, this.#config.sniffing),
    };
  }

  // New listeners first, then the old ones close (their live connections get a minute).
  #allocate(): void {
    const { opts, handle } = this.#serving();
    const groups: TcpListenerGroup[] = [];
    const ports: number[] = [];
    for (const p of this.#pickPorts()) {
      const g = new TcpListenerGroup({ ...opts, ...this.#ctx.listening }, handle);
      try {
        g.listen(this.#config.listen, p, p);
        groups.push(g);
        ports.push(p);
      } catch (e) {
        this.#ctx.logger.warning(
          `vmess ${this.tag}: port ${p} unavailable: ${(e as Error).message}`,
        );
      }
    }
    const old = this.#groups;
    this.#groups = groups;
    this.#ports = ports;
    for (const g of old) g.close(60_000).catch(() => {});
  }

  /** A SwitchAccount for the user with `email`: a current port and that email's account. */
  switchAccountFor(email: string): SwitchAccount | undefined {
    return this.accounts.switchAccount(email, this.#ports, this.#refreshMinutes);
  }

  /** Binds the first set of ports (unless taken over at a reload) and schedules the refresh. */
  start(): Promise<void> {
    if (!this.#taken) this.#allocate();
    if (this.#ports.length === 0) {
      return Promise.reject(new Error(`vmess ${this.tag}: no port of the range could be bound`));
    }
    this.#refreshEvery();
    return Promise.resolve();
  }

  // Re-picks the ports every `refresh` minutes from now on.
  #refreshEvery(): void {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#allocate(), this.#refreshMinutes * 60_000);
  }

  /** Connections accepted on the current ports. */
  get accepted(): number {
    return this.#groups.reduce((n, g) => n + g.accepted, 0);
  }

  /** Connections open now on the current ports (those of retired ports finish uncounted). */
  active(): number {
    return this.#groups.reduce((n, g) => n + g.active, 0);
  }

  /** Current listeners. */
  addresses(): string[] {
    return this.#groups.flatMap((g) => g.addresses());
  }

  /** Stops refreshing and closes every listener. */
  async close(graceMs: number): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#groups.map((g) => g.close(graceMs)));
  }

  /** Stops refreshing and accepting; live connections run on. */
  async stopAccepting(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#groups.map((g) => g.stopAccepting()));
  }

  /** Settles once no connection on the current ports is open. */
  async whenIdle(): Promise<void> {
    await Promise.all(this.#groups.map((g) => g.whenIdle()));
  }

  /** Takes over the ports `previous` listens on now; the refresh restarts from here. */
  takeListeners(previous: Inbound): void {
    if (!(previous instanceof DynamicVmessInbound) || previous.#given) {
      throw new TypeError(`inbound ${this.tag}: cannot take over the listeners of ${previous.tag}`);
    }
    clearInterval(previous.#timer);
    previous.#given = true;
    this.#groups = previous.#groups;
    this.#ports = previous.#ports;
    previous.#groups = [];
    previous.#ports = [];
    const { opts, handle } = this.#serving();
    for (const g of this.#groups) g.retarget(opts, handle);
    this.#taken = true;
    // start() is not called on an inbound that took its listeners over: the refresh goes on here.
    this.#refreshEvery();
  }

  /** Shares the replay filters of the VMess inbound it replaces at a reload, keeps its accounts. */
  inherit(previous: Inbound): void {
    inheritVmess(this, previous);
  }
}
