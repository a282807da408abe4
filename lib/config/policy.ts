/** Policy levels resolved against V2Ray 4.34's real defaults (spec §9). */
import type { PolicyConfig } from "./schema.ts";

/** One level's effective policy, in milliseconds and bytes. */
export interface LevelPolicy {
  /** Request-header read deadline (VMess: level 0's; socks and http: their `userLevel`'s). */
  readonly handshakeMs: number;
  /** Inactivity timeout while both directions are open. */
  readonly connIdleMs: number;
  /** Uplink idle limit after the downlink finished. */
  readonly uplinkOnlyMs: number;
  /** Downlink idle limit after the uplink finished. */
  readonly downlinkOnlyMs: number;
  /** Per-connection read buffer in bytes. */
  readonly bufferSize: number;
  /** Count this level's users' uplink bytes. */
  readonly statsUserUplink: boolean;
  /** Count this level's users' downlink bytes. */
  readonly statsUserDownlink: boolean;
}

/** System-wide counters to keep. */
export interface SystemPolicy {
  /** Per-inbound uplink counter. */
  readonly statsInboundUplink: boolean;
  /** Per-inbound downlink counter. */
  readonly statsInboundDownlink: boolean;
  /** Per-outbound uplink counter. */
  readonly statsOutboundUplink: boolean;
  /** Per-outbound downlink counter. */
  readonly statsOutboundDownlink: boolean;
}

/** Resolves a level number to its policy. */
export interface Policy {
  /** The effective policy of `level`. */
  level(level: number): LevelPolicy;
  /** The system counters. */
  readonly system: SystemPolicy;
}

/** V2Ray 4.34's code defaults: handshake 60 s, connIdle 300 s, uplinkOnly 1 s, downlinkOnly 1 s. */
export const DEFAULT_LEVEL: LevelPolicy = {
  handshakeMs: 60_000,
  connIdleMs: 300_000,
  uplinkOnlyMs: 1_000,
  downlinkOnlyMs: 1_000,
  // V2Ray's 512 KiB is a pipe between goroutines; here it bounds one read: 64 KiB halves the
  // per-read work of 32 KiB (deno task profile), and idle connections keep 4 KiB (tcp.ts).
  bufferSize: 64 * 1024,
  statsUserUplink: false,
  statsUserDownlink: false,
};

const NO_SYSTEM_STATS: SystemPolicy = {
  statsInboundUplink: false,
  statsInboundDownlink: false,
  statsOutboundUplink: false,
  statsOutboundDownlink: false,
};

/**
 * The policy of a config. Without a `policy` section V2Ray uses its DefaultManager, which gives
 * level 1 a connIdle of 600 s; with one, unlisted levels get the plain defaults.
 */
export function resolvePolicy(config: PolicyConfig | undefined): Policy {
  if (!config) {
    return {
      level: (n) => (n === 1 ? { ...DEFAULT_LEVEL, connIdleMs: 600_000 } : DEFAULT_LEVEL),
      system: NO_SYSTEM_STATS,
    };
  }
  const levels = new Map<number, LevelPolicy>();
  for (const [k, v] of Object.entries(config.levels)) {
    const ms = (s: number | undefined, d: number) => (s === undefined ? d : s * 1000);
    levels.set(Number(k), {
      handshakeMs: ms(v.handshake, DEFAULT_LEVEL.handshakeMs),
      connIdleMs: ms(v.connIdle, DEFAULT_LEVEL.connIdleMs),
      uplinkOnlyMs: ms(v.uplinkOnly, DEFAULT_LEVEL.uplinkOnlyMs),
      downlinkOnlyMs: ms(v.downlinkOnly, DEFAULT_LEVEL.downlinkOnlyMs),
      // bufferSize is KiB in V2Ray; 0 or -1 ("unlimited") still needs a read buffer here.
      bufferSize: v.bufferSize === undefined || v.bufferSize <= 0
        ? DEFAULT_LEVEL.bufferSize
        : Math.min(v.bufferSize, 1024) * 1024,
      statsUserUplink: v.statsUserUplink,
      statsUserDownlink: v.statsUserDownlink,
    });
  }
  return { level: (n) => levels.get(n) ?? DEFAULT_LEVEL, system: config.system };
}

/**
 * The policy of an inbound's sessions as V2Ray 4.34 computes it for socks, http and dokodemo-door: a
 * non-zero `settings.timeout` replaces connIdle, but only when `userLevel` is 0.
 */
export function inboundPolicy(
  policy: Policy,
  userLevel: number,
  timeoutSec: number | undefined,
): LevelPolicy {
  const level = policy.level(userLevel);
  return timeoutSec !== undefined && timeoutSec > 0 && userLevel === 0
    ? { ...level, connIdleMs: timeoutSec * 1000 }
    : level;
}
