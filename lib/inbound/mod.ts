/** Inbound handlers by protocol. */
import type { InboundConfig } from "../config/mod.ts";
import type { Inbound } from "../core/handlers.ts";
import type { InstanceContext } from "../engine/context.ts";
import { DenorayError } from "../core/errors.ts";
import { DokodemoInbound } from "./dokodemo.ts";
import { HttpInbound } from "./http.ts";
import { SocksInbound } from "./socks.ts";
import { VmessInbound } from "./vmess.ts";
import { DynamicVmessInbound } from "./vmess_dynamic.ts";

/** Finds another inbound by tag (VMess detour targets). */
export type InboundLookup = (tag: string) => Inbound | undefined;

/** Builds the inbound a config entry describes. */
export function createInbound(
  config: InboundConfig,
  ctx: InstanceContext,
  lookup: InboundLookup = () => undefined,
): Inbound {
  if (config.allocate?.strategy === "random") {
    if (config.protocol === "vmess") return new DynamicVmessInbound(config, ctx);
    throw new DenorayError(
      "not-implemented",
      `inbound ${config.tag ?? config.protocol}: allocate.strategy "random" is only for vmess`,
    );
  }
  switch (config.protocol) {
    case "vmess":
      return new VmessInbound(config, ctx, lookup);
    case "dokodemo-door":
      return new DokodemoInbound(config, ctx);
    case "socks":
      return new SocksInbound(config, ctx);
    case "http":
      return new HttpInbound(config, ctx);
  }
}
