/**
 * Keeps an OffsetClock in step with an NTP server (the config's `ntp` section): one SNTP query at
 * start and then every `interval`, each logged with the offset it measured; an offset over 60 s
 * is a warning, since VMess then only works thanks to this correction.
 */
import type { NtpConfig } from "../config/mod.ts";
import type { Clock, OffsetClock } from "../core/clock.ts";
import type { Logger } from "../log/mod.ts";
import { querySntp, type SntpQueryOptions, type SntpResult } from "../net/mod.ts";

/** Above this offset the system clock is worth a warning (VMess refuses beyond 120 s). */
export const NTP_WARN_OFFSET_MS = 60_000;

/** How long one query may take: 3 requests of 2 s. */
const QUERY = { timeoutMs: 2_000, tries: 3 };

/** A query function (querySntp, or a stand-in in tests). */
export type SntpQuery = (
  server: string,
  port: number,
  opts: SntpQueryOptions,
) => Promise<SntpResult>;

function seconds(ms: number): string {
  return `${ms >= 0 ? "+" : "-"}${(Math.abs(ms) / 1000).toFixed(3)} s`;
}

/** The periodic sync of one clock. */
export class NtpSync {
  readonly #server: string;
  readonly #port: number;
  readonly #intervalMs: number;
  readonly #clock: OffsetClock;
  readonly #base: Clock;
  readonly #logger: Logger;
  readonly #query: SntpQuery;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /** A sync of `clock` (whose base is `base`) per `config`, which must be enabled with a server. */
  constructor(
    config: NtpConfig & { server: string },
    clock: OffsetClock,
    base: Clock,
    logger: Logger,
    query: SntpQuery = querySntp,
  ) {
    this.#server = config.server;
    this.#port = config.server_port;
    this.#intervalMs = config.interval;
    this.#clock = clock;
    this.#base = base;
    this.#logger = logger;
    this.#query = query;
  }

  /** Syncs once (a failure is logged, not thrown), then every interval until stop(). */
  async start(): Promise<void> {
    await this.sync();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.sync().finally(() => this.#schedule()), this.#intervalMs);
  }

  /** One query: on success, unless stopped meanwhile, the clock takes the offset; true if it did. */
  async sync(): Promise<boolean> {
    const where = `${this.#server}:${this.#port}`;
    try {
      const r = await this.#query(this.#server, this.#port, { clock: this.#base, ...QUERY });
      // Stopped while the query ran (a reload replaced or removed ntp): the clock is not ours.
      if (this.#stopped) return false;
      this.#clock.setOffset(r.offsetMs);
      const line = `ntp: clock offset ${seconds(r.offsetMs)} from ${where} (${r.address}, ` +
        `stratum ${r.stratum}, delay ${Math.round(r.delayMs)} ms)`;
      if (Math.abs(r.offsetMs) > NTP_WARN_OFFSET_MS) {
        this.#logger.warning(
          `${line}: the system clock is off by more than ${NTP_WARN_OFFSET_MS / 1000} s; VMess ` +
            "uses the corrected time, but fix the system clock (systemd-timesyncd or chrony)",
        );
      } else {
        this.#logger.info(line);
      }
      return true;
    } catch (e) {
      this.#logger.warning(
        `ntp: ${where}: ${(e as Error).message}; the clock offset stays ` +
          seconds(this.#clock.offsetMs),
      );
      return false;
    }
  }

  /** Stops the periodic sync. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
