/**
 * UDP sockets (`Deno.listenDatagram`) exist only under `--unstable-net` (or `"unstable": ["net"]`
 * in a deno.json Deno finds). A config that listens on UDP fails at start-up without them, naming
 * what needs UDP and the fix, rather than at its first datagram.
 */
import type { Config } from "../config/mod.ts";
import { DenorayError } from "../core/errors.ts";

/** How to get UDP sockets, for messages. */
export const UDP_FIX =
  'run Deno with --unstable-net (or from a directory whose deno.json has "unstable": ' +
  '["net"]); the denoray launcher, its systemd unit and the compiled binary pass it';

/** Whether this Deno gives UDP sockets. */
export function udpAvailable(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
}

/** What in `config` cannot work without UDP sockets, one description each (config order). */
export function udpNeeds(config: Config): string[] {
  const out: string[] = [];
  config.inbounds.forEach((ib, i) => {
    const name = `inbound ${JSON.stringify(ib.tag ?? `#${i}`)}`;
    if (ib.protocol === "socks" && ib.settings.udp) out.push(`${name} (socks with "udp": true)`);
    if (ib.protocol === "dokodemo-door" && ib.settings.network !== "tcp") {
      out.push(`${name} (dokodemo-door with network "${ib.settings.network}")`);
    }
  });
  if (config.ntp?.enabled) out.push('the "ntp" section (SNTP)');
  return out;
}

/** Throws DenorayError "udp-unavailable" when `config` needs UDP and `available` is false. */
export function checkUdp(config: Config, available = udpAvailable()): void {
  if (available) return;
  const needs = udpNeeds(config);
  if (needs.length === 0) return;
  throw new DenorayError(
    "udp-unavailable",
    `${needs.join(", ")} ${needs.length === 1 ? "needs" : "need"} UDP sockets, which this Deno ` +
      `does not give: ${UDP_FIX}`,
  );
}
