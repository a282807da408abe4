/** Outbound handlers by protocol. */
import type { OutboundConfig } from "../config/mod.ts";
import type { Outbound } from "../core/handlers.ts";
import type { InstanceContext } from "../app/context.ts";
import { BlackholeOutbound } from "./blackhole.ts";
import { FreedomOutbound } from "./freedom.ts";
import { VmessOutbound } from "./vmess.ts";

/** Builds the outbound a config entry describes. */
export function createOutbound(config: OutboundConfig, ctx: InstanceContext): Outbound {
  switch (config.protocol) {
    case "vmess":
      return new VmessOutbound(config, ctx);
    case "freedom":
      return new FreedomOutbound(config, ctx);
    case "blackhole":
      return new BlackholeOutbound(config);
  }
}
