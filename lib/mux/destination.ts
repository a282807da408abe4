/** The pseudo-destination that stands for "a Mux.Cool carrier" on a VMess connection. */
import type { Destination } from "../core/destination.ts";

/** The domain that makes a VMess client send command 3 (Mux) instead of a target. */
export const MUX_COOL_DOMAIN = "v1.mux.cool";

/** What a 4.34 mux client dials through its VMess outbound (the port is not sent on the wire). */
export const MUX_COOL_DESTINATION: Destination = {
  network: "tcp",
  address: MUX_COOL_DOMAIN,
  port: 9527,
};

/** Whether `d` is the Mux.Cool pseudo-destination (4.34 compares the address only). */
export function isMuxCool(d: Destination): boolean {
  return d.address === MUX_COOL_DOMAIN;
}
