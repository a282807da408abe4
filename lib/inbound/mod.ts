/** Inbound handlers by protocol. */
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import type { InstanceContext } from "../app/context.ts";
import { DenorayError } from "../core/errors.ts";
import { DokodemoInbound } from "./dokodemo.ts";
import { VmessInbound } from "./vmess.ts";

/** Builds the inbound a config entry describes. */
export function createInbound(config: InboundConfig, ctx: InstanceContext): Inbound {
  switch (config.protocol) {
    case "vmess":
      return new VmessInbound(config, ctx);
    case "dokodemo-door":
      return new DokodemoInbound(config, ctx);
    default:
      throw new DenorayError(
        "not-implemented",
        `inbound protocol "${config.protocol}" is not implemented yet`,
      );
  }
}
