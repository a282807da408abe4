/** Outbound handlers by protocol. */
import type { OutboundConfig } from "../config/mod.ts";
import type { Outbound } from "../core/handlers.ts";
import type { InstanceContext } from "../app/context.ts";
import { DenorayError } from "../core/errors.ts";

/** Builds the outbound a config entry describes. */
export function createOutbound(config: OutboundConfig, _ctx: InstanceContext): Outbound {
  throw new DenorayError(
    "not-implemented",
    `outbound protocol "${config.protocol}" is not implemented yet`,
  );
}
