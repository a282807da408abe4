/** Outbound handlers by protocol. */
import type { OutboundConfig } from "../config/mod.ts";
import type { Outbound } from "../core/handlers.ts";
import type { InstanceContext } from "../engine/context.ts";
import { BlackholeOutbound } from "./blackhole.ts";
import { FreedomOutbound } from "./freedom.ts";
import { VmessOutbound } from "./vmess.ts";
import { directDialer, type NetDialer } from "../net/mod.ts";

/** Builds the outbound a config entry describes; it opens its connections with `dialer`. */
export function createOutbound(
  config: OutboundConfig,
  ctx: InstanceContext,
  dialer: NetDialer = directDialer,
): Outbound {
  switch (config.protocol) {
    case "vmess":
      return new VmessOutbound(config, ctx, dialer);
    case "freedom":
      return new FreedomOutbound(config, ctx, dialer);
    case "blackhole":
      return new BlackholeOutbound(config);
  }
}
