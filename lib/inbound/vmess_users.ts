/** A VMess inbound's configured clients as codec users, and what its connections share. */
import type { InboundConfig, VmessClientConfig } from "../config/mod.ts";
import type { InstanceContext } from "../engine/context.ts";
import type { Inbound, PersistentState } from "../core/handlers.ts";
import { parseReplayState, parseUuid, VmessServer, type VmessUser } from "../vmess/mod.ts";
import { DetourAccounts } from "./detour_accounts.ts";
import type { VmessServerContext } from "../vmess_io/server_session.ts";
import { LogThrottle } from "../log/mod.ts";

/** At most one warning per user per minute about its clock. */
const CLOCK_WARNING_INTERVAL_MS = 60_000;

type VmessInboundConfig = Extract<InboundConfig, { protocol: "vmess" }>;

/** The users of `clients` (ids were validated by the config loader). */
export function vmessUsers(clients: readonly VmessClientConfig[]): VmessUser[] {
  return clients.map((c) => ({
    id: parseUuid(c.id)!,
    alterId: c.alterId,
    level: c.level,
    email: c.email ?? "",
  }));
}

/** The server context of a VMess inbound's connections (no detour). */
export function vmessServerContext(
  config: VmessInboundConfig,
  tag: string,
  server: VmessServer,
  ctx: InstanceContext,
): VmessServerContext {
  return {
    tag,
    server,
    secureOnly: config.settings.disableInsecureEncryption,
    handshakeMs: ctx.policy.level(0).handshakeMs,
    logger: ctx.logger,
    clock: ctx.clock,
    clockWarnings: new LogThrottle(CLOCK_WARNING_INTERVAL_MS),
    onHandshake: (result) => ctx.handshakes.add([tag, result]),
  };
}

/**
 * The read-buffer bound of a VMess inbound's sockets: the largest of its users' levels, as the
 * socket is opened before the header says which user it is (reads grow to it only under bulk).
 */
export function vmessBufferSize(config: VmessInboundConfig, ctx: InstanceContext): number {
  const levels = new Set([0, ...config.settings.clients.map((c) => c.level)]);
  return Math.max(...[...levels].map((l) => ctx.policy.level(l).bufferSize));
}

/** A VMess server's replay filters as state kept across restarts. */
export function replayPersistence(server: VmessServer): PersistentState {
  return {
    get version() {
      return server.replayKeysAdded;
    },
    save: () => server.replayState(),
    restore: (snapshot, nowSec) => {
      const state = parseReplayState(snapshot);
      if (state) server.restoreReplayState(state, nowSec);
    },
  };
}

/** What a VMess inbound (plain or dynamic-port) keeps across a reload. */
export interface VmessKept {
  /** Its users and replay filters. */
  readonly server: VmessServer;
  /** The accounts it made for detoured clients. */
  readonly accounts: DetourAccounts;
}

/**
 * `to` shares the replay filters of `previous` when that is a VMess inbound too (so a first
 * packet seen before a reload stays a replay after it) and keeps the accounts it made.
 */
export function inheritVmess(to: VmessKept, previous: Inbound): void {
  const p = previous as Partial<VmessKept>;
  if (!(p.server instanceof VmessServer) || !(p.accounts instanceof DetourAccounts)) return;
  to.server.shareReplayFilters(p.server);
  to.accounts.takeOver(p.accounts);
}
