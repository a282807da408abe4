/** The top-level V2Ray 4 config shape: log, inbounds, outbounds, routing, policy, stats. */
import { z } from "zod";
import { choice, inert, ipAddress, networkList, portRange, stringList } from "./fields.ts";
import { ntp } from "./ntp.ts";
import { sniffing } from "./sniffing.ts";
import { dns } from "./dns.ts";

export { streamSettings } from "./stream_settings.ts";
import { globalTransport, streamSettings } from "./stream_settings.ts";

/** Dynamic-port allocation of an inbound (used with a port range and VMess `detour`). */
export const allocate = z.strictObject({
  strategy: choice(["always", "random"] as const).default("always"),
  refresh: z.number().int().min(2).default(5),
  concurrency: z.number().int().min(1).default(3),
});

/** One inbound: its settings are validated against its protocol's schema afterwards. */
export const inbound = z.strictObject({
  tag: z.string().optional(),
  listen: ipAddress.default("0.0.0.0"),
  port: portRange,
  protocol: z.string(),
  settings: z.unknown().optional(),
  streamSettings: streamSettings.optional(),
  sniffing: sniffing.optional(),
  allocate: allocate.optional(),
});

/** One outbound: its settings are validated against its protocol's schema afterwards. */
export const outbound = z.strictObject({
  tag: z.string().optional(),
  protocol: z.string(),
  settings: z.unknown().optional(),
  streamSettings: streamSettings.optional(),
  proxySettings: z.strictObject({ tag: z.string().min(1), transportLayer: z.boolean().optional() })
    .optional(),
  mux: z.strictObject({
    enabled: z.boolean().optional(),
    concurrency: z.number().optional(),
  }).optional(),
});

/**
 * A V2Ray PortList: a number, "a-b", or a comma list of both; parsed to ranges. Empty items are
 * skipped as V2Ray skips them, so "" is an empty list (no condition in a rule).
 */
export const portList = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const parts = typeof v === "number"
    ? [String(v)]
    : v.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const out: { from: number; to: number }[] = [];
  for (const p of parts) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    const from = m ? Number(m[1]) : NaN, to = m ? Number(m[2] ?? m[1]) : NaN;
    if (!(from >= 0 && to <= 65535 && from <= to)) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(v)} is not a port list like "53,443,1000-2000"`,
      });
      return z.NEVER;
    }
    out.push({ from, to });
  }
  return out;
});

const refused = (what: string) =>
  z.unknown().superRefine((_, ctx) => ctx.addIssue({ code: "custom", message: what }));

/** A routing rule of type field. List fields take a list or a comma-separated string, as V2Ray's. */
export const rule = z.strictObject({
  // Missing: read as "field" (validate() warns: 4.34 refuses it, later V2Rays default to it).
  type: choice(["field"] as const, ["chinaip", "chinasites"]).optional(),
  inboundTag: stringList.optional(),
  outboundTag: z.string().min(1).optional(),
  balancerTag: refused("balancers are not supported").optional(),
  domain: stringList.optional(),
  domains: stringList.optional(),
  ip: stringList.optional(),
  port: portList.optional(),
  sourcePort: portList.optional(),
  network: networkList.optional(),
  source: stringList.optional(),
  user: stringList.optional(),
  // Sniffed protocol ("http", "tls", "bittorrent") and HTTP request attributes: lib/config/sniffing.ts.
  protocol: stringList.optional(),
  attrs: z.string().optional(),
});

/** The routing section. */
export const routing = z.strictObject({
  domainStrategy: choice(["AsIs", "IPIfNonMatch", "IPOnDemand"] as const, ["AlwaysIP"]).default(
    "AsIs",
  ),
  domainMatcher: inert.optional(),
  rules: z.array(rule).default([]),
  balancers: refused("balancers are not supported").optional(),
});

const seconds = z.number().int().min(0);

/** One policy level; unset fields take V2Ray 4.34's defaults when resolved. */
export const policyLevel = z.strictObject({
  handshake: seconds.optional(),
  connIdle: seconds.optional(),
  uplinkOnly: seconds.optional(),
  downlinkOnly: seconds.optional(),
  statsUserUplink: z.boolean().default(false),
  statsUserDownlink: z.boolean().default(false),
  bufferSize: z.number().int().min(-1).optional(),
});

/** The policy section. */
export const policy = z.strictObject({
  levels: z.record(z.string().regex(/^\d+$/, "a level must be a number"), policyLevel).default({}),
  system: z.strictObject({
    statsInboundUplink: z.boolean().default(false),
    statsInboundDownlink: z.boolean().default(false),
    statsOutboundUplink: z.boolean().default(false),
    statsOutboundDownlink: z.boolean().default(false),
  }).default({
    statsInboundUplink: false,
    statsInboundDownlink: false,
    statsOutboundUplink: false,
    statsOutboundDownlink: false,
  }),
});

/** The log section. */
export const log = z.strictObject({
  access: z.string().optional(),
  error: z.string().optional(),
  loglevel: choice(["debug", "info", "warning", "error", "none"] as const).default("warning"),
});

/** The whole config file before per-protocol settings are checked. */
export const root = z.strictObject({
  log: log.default({ loglevel: "warning" }),
  inbounds: z.array(inbound).default([]),
  outbounds: z.array(outbound).default([]),
  routing: routing.optional(),
  policy: policy.optional(),
  // `listen` is ours (V2Ray ignores unknown keys here): where to serve Prometheus text.
  stats: z.strictObject({
    listen: z.union([z.number(), z.string()]).transform((v, ctx) => {
      const m = /^(?:(.*):)?(\d+)$/.exec(String(v));
      const host = m?.[1]?.replace(/^\[|\]$/g, "") || "127.0.0.1";
      const port = m ? Number(m[2]) : NaN;
      if (!(port >= 0 && port <= 65535)) {
        ctx.addIssue({
          code: "custom",
          message: `${JSON.stringify(v)} is not a port or "host:port"`,
        });
        return z.NEVER;
      }
      return { host, port };
    }).optional(),
  }).optional(),
  // sing-box's section (V2Ray 4 has none): an SNTP-corrected clock for VMess.
  ntp: ntp.optional(),
  api: inert.optional(),
  dns: dns.optional(),
  transport: globalTransport.optional(),
  reverse: refused("reverse proxy is not supported").optional(),
  fakedns: refused("fakedns is not supported").optional(),
  observatory: refused("observatory is not supported").optional(),
  browserForwarder: refused("browserForwarder is not supported").optional(),
  inbound: refused('the V2Ray 3 form "inbound" is not supported: use "inbounds": [...]').optional(),
  outbound: refused('the V2Ray 3 form "outbound" is not supported: use "outbounds": [...]')
    .optional(),
  inboundDetour: refused('"inboundDetour" is not supported: use "inbounds": [...]').optional(),
  outboundDetour: refused('"outboundDetour" is not supported: use "outbounds": [...]').optional(),
});

/** Parsed routing rule. */
export type RuleConfig = z.infer<typeof rule>;
/** Parsed routing section. */
export type RoutingConfig = z.infer<typeof routing>;
/** Parsed policy section. */
export type PolicyConfig = z.infer<typeof policy>;
/** Parsed policy level. */
export type PolicyLevelConfig = z.infer<typeof policyLevel>;
/** Parsed log section. */
export type LogConfig = z.infer<typeof log>;
/** Parsed stream settings (before resolution). */
export type { StreamSettingsConfig } from "./stream_settings.ts";
/** Parsed allocate section. */
export type AllocateConfig = z.infer<typeof allocate>;
