/** Copies bytes both ways between two streams, with half-close, timeouts and teardown on error. */
import type { ByteStream } from "../core/stream.ts";
import { ActivityTimer } from "./activity_timer.ts";
import { WriteBehind } from "./write_behind.ts";

/** Byte counters of one proxied session, called as bytes are relayed. */
export interface ByteCounters {
  /** Called with each uplink (client → target) byte count. */
  readonly onUplink?: (n: number) => void;
  /** Called with each downlink (target → client) byte count. */
  readonly onDownlink?: (n: number) => void;
}

/** Timeouts and counters of one relay. */
export interface RelayOptions extends ByteCounters {
  /** Inactivity timeout while both directions are open (policy connIdle), ms. */
  readonly idleMs: number;
  /** After the downlink finished, how long the uplink may stay idle (policy uplinkOnly), ms. */
  readonly uplinkOnlyMs: number;
  /** After the uplink finished, how long the downlink may stay idle (policy downlinkOnly), ms. */
  readonly downlinkOnlyMs: number;
}

/** How a relay ended. */
export interface RelayResult {
  /** "done" when both sides finished, "timeout", or "error". */
  readonly outcome: "done" | "timeout" | "error";
  /** The first error, if any. */
  readonly error?: unknown;
}

/**
 * Relays client ⇄ target until both directions end, then closes both. Never rejects:
 * an error on either side tears down both and is returned.
 */
export async function relay(
  client: ByteStream,
  target: ByteStream,
  opts: RelayOptions,
): Promise<RelayResult> {
  let outcome: RelayResult["outcome"] = "done";
  let error: unknown;
  const teardown = () => {
    client.close();
    target.close();
  };
  const timer = new ActivityTimer(opts.idleMs, () => {
    if (outcome === "done") outcome = "timeout";
    teardown();
  });
  const pump = async (
    from: ByteStream,
    to: ByteStream,
    count: ((n: number) => void) | undefined,
  ): Promise<void> => {
    const fail = (e: unknown) => {
      if (outcome === "done") {
        outcome = "error";
        error = e;
      }
      teardown();
    };
    const writer = new WriteBehind(to, (n) => {
      count?.(n);
      timer.touch();
    }, fail);
    try {
      for (;;) {
        const chunk = await from.read();
        if (chunk === null) break;
        timer.touch();
        await writer.push(chunk);
      }
      await writer.drain();
      await to.closeWrite();
    } catch (e) {
      fail(e);
    }
  };
  const up = pump(client, target, opts.onUplink).then(() => timer.setTimeout(opts.downlinkOnlyMs));
  const down = pump(target, client, opts.onDownlink).then(() =>
    timer.setTimeout(opts.uplinkOnlyMs)
  );
  await Promise.all([up, down]);
  timer.stop();
  teardown();
  return error === undefined ? { outcome } : { outcome, error };
}
