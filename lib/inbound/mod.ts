/** Inbound handlers by protocol. */
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import type { InstanceContext } from "../app/context.ts";
import { DenorayError } from "../core/errors.ts";

/** Builds the inbound a config entry describes. */
export function createInbound(config: InboundConfig, _ctx: InstanceContext): Inbound {
  throw new DenorayError(
    "not-implemented",
    `inbound protocol "${config.protocol}" is not implemented yet`,
  );
}
