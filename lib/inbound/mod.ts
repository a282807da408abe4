/** Inbound handlers by protocol. */
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import type { InstanceContext } from "../app/context.ts";
import { DokodemoInbound } from "./dokodemo.ts";
import { HttpInbound } from "./http.ts";
import { SocksInbound } from "./socks.ts";
import { VmessInbound } from "./vmess.ts";

/** Builds the inbound a config entry describes. */
export function createInbound(config: InboundConfig, ctx: InstanceContext): Inbound {
  switch (config.protocol) {
    case "vmess":
      return new VmessInbound(config, ctx);
    case "dokodemo-door":
      return new DokodemoInbound(config, ctx);
    case "socks":
      return new SocksInbound(config, ctx);
    case "http":
      return new HttpInbound(config, ctx);
  }
}
