/** Inbound handlers by protocol. */
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import type { InstanceContext } from "../app/context.ts";
import { DenorayError } from "../core/errors.ts";
import { DokodemoInbound } from "./dokodemo.ts";
import { HttpInbound } from "./http.ts";
import { SocksInbound } from "./socks.ts";
import { VmessInbound } from "./vmess.ts";

/** Builds the inbound a config entry describes. */
export function createInbound(config: InboundConfig, ctx: InstanceContext): Inbound {
  // Refused at start, never ignored: a V2Ray user relying on these would get other behaviour.
  if (config.allocate?.strategy === "random") {
    throw new DenorayError(
      "not-implemented",
      `inbound ${
        config.tag ?? config.protocol
      }: allocate.strategy "random" (dynamic port) is not implemented yet`,
    );
  }
  if (config.protocol === "vmess" && config.settings.detour) {
    throw new DenorayError(
      "not-implemented",
      `inbound ${config.tag ?? "vmess"}: settings.detour (dynamic port) is not implemented yet`,
    );
  }
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
