/** The protocols we implement, each with the schema of its `settings`. */
import type { z } from "zod";
import { vmessInboundSettings, vmessOutboundSettings } from "./vmess.ts";
import { socksInboundSettings } from "./socks.ts";
import { httpInboundSettings } from "./http.ts";
import { dokodemoInboundSettings } from "./dokodemo.ts";
import { freedomOutboundSettings } from "./freedom.ts";
import { blackholeOutboundSettings } from "./blackhole.ts";

/** Inbound protocol → settings schema. */
export const INBOUND_PROTOCOLS = {
  vmess: vmessInboundSettings,
  socks: socksInboundSettings,
  http: httpInboundSettings,
  "dokodemo-door": dokodemoInboundSettings,
} as const satisfies Record<string, z.ZodType>;

/** Outbound protocol → settings schema. */
export const OUTBOUND_PROTOCOLS = {
  vmess: vmessOutboundSettings,
  freedom: freedomOutboundSettings,
  blackhole: blackholeOutboundSettings,
} as const satisfies Record<string, z.ZodType>;

/** Protocols V2Ray 4 has that we refuse with "not supported" rather than "unknown". */
export const KNOWN_PROTOCOLS = [
  "vmess",
  "vless",
  "trojan",
  "shadowsocks",
  "socks",
  "http",
  "dokodemo-door",
  "freedom",
  "blackhole",
  "dns",
  "mtproto",
  "loopback",
];

/** An inbound protocol name we implement. */
export type InboundProtocol = keyof typeof INBOUND_PROTOCOLS;
/** An outbound protocol name we implement. */
export type OutboundProtocol = keyof typeof OUTBOUND_PROTOCOLS;

export type {
  VmessClientConfig,
  VmessInboundSettings,
  VmessOutboundSettings,
  VmessUserConfig,
} from "./vmess.ts";
export type { SocksInboundSettings } from "./socks.ts";
export type { HttpInboundSettings } from "./http.ts";
export type { DokodemoInboundSettings } from "./dokodemo.ts";
export type { FreedomOutboundSettings } from "./freedom.ts";
export type { BlackholeOutboundSettings } from "./blackhole.ts";
