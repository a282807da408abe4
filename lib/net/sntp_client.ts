/** One SNTP exchange over UDP with a server: the request, its answer, the offset it measures. */
import type { Clock } from "../core/clock.ts";
import { addressKind } from "../core/destination.ts";
import { DenorayError, ProtocolError } from "../core/errors.ts";
import { randomBytes } from "../core/bytes.ts";
import {
  decodeSntpAnswer,
  encodeSntpRequest,
  type SntpAnswer,
  type SntpSample,
  sntpSample,
} from "../ntp/mod.ts";

/** How one query goes. */
export interface SntpQueryOptions {
  /** The local clock the offset is measured against (the system clock, uncorrected). */
  readonly clock: Clock;
  /** How long to wait for each answer, ms. */
  readonly timeoutMs: number;
  /** How many requests to send before giving up (UDP may drop one). */
  readonly tries: number;
}

/** What a query measured, and from where. */
export interface SntpResult extends SntpSample {
  /** The address the answer came from. */
  readonly address: string;
  /** The server's stratum. */
  readonly stratum: number;
}

async function resolve(host: string): Promise<string> {
  if (addressKind(host) !== "domain") return host;
  for (const type of ["A", "AAAA"] as const) {
    const r = await Deno.resolveDns(host, type).catch(() => [] as string[]);
    if (r.length > 0) return r[0];
  }
  throw new DenorayError("dns", `cannot resolve ${host}`);
}

/**
 * Asks `server`:`port` for the time (up to `tries` requests, each waiting `timeoutMs`); answers
 * from elsewhere or to another request are ignored. Rejects with DenorayError "timeout", "dns"
 * or "udp-unavailable", or ProtocolError "ntp-refused" (kiss-o'-death, unsynchronised server).
 */
export async function querySntp(
  server: string,
  port: number,
  opts: SntpQueryOptions,
): Promise<SntpResult> {
  if (typeof (Deno as { listenDatagram?: unknown }).listenDatagram !== "function") {
    throw new DenorayError("udp-unavailable", "SNTP needs UDP sockets (Deno's --unstable-net)");
  }
  const address = await resolve(server);
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: addressKind(address) === "ipv6" ? "::" : "0.0.0.0",
    port: 0,
  });
  const to: Deno.NetAddr = { transport: "udp", hostname: address, port };
  // One receive outstanding; a retry does not start another.
  let pending = socket.receive();
  pending.catch(() => {});
  try {
    for (let t = 0; t < opts.tries; t++) {
      const request = encodeSntpRequest(randomBytes(8));
      const sentMs = opts.clock();
      await socket.send(request, to);
      const deadline = sentMs + opts.timeoutMs;
      for (;;) {
        const left = deadline - opts.clock();
        if (left <= 0) break;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<null>((r) => timer = setTimeout(() => r(null), left));
        const got = await Promise.race([pending, late]);
        clearTimeout(timer);
        if (got === null) break;
        const receivedMs = opts.clock();
        pending = socket.receive();
        pending.catch(() => {});
        const [data, from] = got;
        if ((from as Deno.NetAddr).port !== port) continue;
        let answer: SntpAnswer;
        try {
          answer = decodeSntpAnswer(data, request);
        } catch (e) {
          // A refusal is the server's word; anything else is not an answer to us.
          if (e instanceof ProtocolError && e.code === "ntp-refused") throw e;
          continue;
        }
        return { ...sntpSample(answer, sentMs, receivedMs), address, stratum: answer.stratum };
      }
    }
    throw new DenorayError(
      "timeout",
      `no answer after ${opts.tries} requests of ${opts.timeoutMs} ms each`,
    );
  } finally {
    socket.close();
  }
}
