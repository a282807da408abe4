/** Whole-config validation: shape, per-protocol settings, and the cross-references between them. */
import type { z } from "zod";
import { configError, type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";
import { parseSection } from "./zod_issues.ts";
import * as schema from "./schema.ts";
import type { GeoData } from "../geo/mod.ts";
import { type AssetSource, type GeoUse, NO_ASSETS, resolveGeo } from "./geo_resolve.ts";
import { checkRuleEntries } from "./rule_entries.ts";
import { ROOT_ENUMS, SETTINGS_ENUMS } from "./enum_values.ts";
import type { NtpConfig } from "./ntp.ts";
import { chainIssues } from "./chain.ts";
import { outboundInertWarnings, routingInertWarnings } from "./inert.ts";
import {
  type GlobalTransportConfig,
  PLAIN_TCP,
  resolveStreamSettings,
  type StreamSettings,
  type StreamSettingsConfig,
} from "./stream_settings.ts";
import { sniffingRuleIssues } from "./sniffing.ts";
import { type DnsConfig, dnsGeoUses, dnsIssues, resolveDnsGeo } from "./dns.ts";
import { readMuxSetting } from "../mux/mod.ts";
import {
  INBOUND_PROTOCOLS,
  type InboundProtocol,
  KNOWN_PROTOCOLS,
  OUTBOUND_PROTOCOLS,
  type OutboundProtocol,
} from "./protocols/mod.ts";

type InboundBase =
  & Omit<z.output<typeof schema.inbound>, "protocol" | "settings" | "streamSettings">
  & {
    /** The resolved streamSettings (plain TCP when absent). */
    readonly stream: StreamSettings;
  };
type OutboundBase =
  & Omit<z.output<typeof schema.outbound>, "protocol" | "settings" | "streamSettings">
  & {
    /** The resolved streamSettings (plain TCP when absent). */
    readonly stream: StreamSettings;
  };

/** A validated inbound: its `settings` typed by its `protocol`. */
export type InboundConfig = {
  [P in InboundProtocol]: InboundBase & {
    protocol: P;
    settings: z.output<(typeof INBOUND_PROTOCOLS)[P]>;
  };
}[InboundProtocol];

/** A validated outbound: its `settings` typed by its `protocol`. */
export type OutboundConfig = {
  [P in OutboundProtocol]: OutboundBase & {
    protocol: P;
    settings: z.output<(typeof OUTBOUND_PROTOCOLS)[P]>;
  };
}[OutboundProtocol];

/** A config that passed validation. */
export interface Config {
  /** Logging. */
  readonly log: schema.LogConfig;
  /** Listeners, in file order. */
  readonly inbounds: readonly InboundConfig[];
  /** Outbounds; the first is the default route. */
  readonly outbounds: readonly OutboundConfig[];
  /** Routing (no rules when absent). */
  readonly routing: schema.RoutingConfig;
  /** The raw policy section, if any (resolve it with resolvePolicy). */
  readonly policy?: schema.PolicyConfig;
  /** Whether the stats section is present (counters enabled). */
  readonly stats: boolean;
  /** Where to serve the counters as Prometheus text, if anywhere. */
  readonly statsListen?: { readonly host: string; readonly port: number };
  /** The SNTP clock correction, if the config has an `ntp` section. */
  readonly ntp?: NtpConfig;
  /** The data of the geoip/geosite references in routing, and only theirs. */
  readonly geo: GeoData;
  /**
   * Stream settings as written (keys and values in V2Ray's spelling), by inbound and outbound
   * index, and the global `transport`: what `dump` writes back, since the resolved `stream` of
   * each inbound and outbound is not V2Ray JSON.
   */
  readonly written: WrittenStreams;
  /** The built-in DNS, if configured (else names are resolved by the system). */
  readonly dns?: DnsConfig;
}

/** Stream settings as written, for writing the config back (see Config.written). */
export interface WrittenStreams {
  /** `inbounds[i].streamSettings`, parsed but not resolved. */
  readonly inbounds: readonly (StreamSettingsConfig | undefined)[];
  /** `outbounds[i].streamSettings`, parsed but not resolved. */
  readonly outbounds: readonly (StreamSettingsConfig | undefined)[];
  /** The global `transport`, parsed. */
  readonly transport?: GlobalTransportConfig;
}

/** What validation may read besides the config itself. */
export interface ValidateOptions {
  /** Where geoip.dat, geosite.dat and ext: files are looked up (default: none). */
  readonly assets?: AssetSource;
}

/** The outcome of validation: a config (when no error) and every issue found. */
export interface ValidationResult {
  /** Present when there was no error. */
  readonly config?: Config;
  /** Errors and warnings, in path order of discovery. */
  readonly issues: readonly ConfigIssue[];
}

function protocolIssue(
  path: JsonPath,
  name: string,
  direction: "inbound" | "outbound",
): ConfigIssue {
  return configError(
    path,
    KNOWN_PROTOCOLS.includes(name)
      ? `${JSON.stringify(name)} is not supported as an ${direction}`
      : `${JSON.stringify(name)} is not a known protocol`,
  );
}

function checkTags(
  items: readonly { tag?: string }[],
  name: string,
  out: ConfigIssue[],
): Set<string> {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (item.tag === undefined) return;
    if (seen.has(item.tag)) {
      out.push(configError([name, i, "tag"], `duplicate tag ${JSON.stringify(item.tag)}`));
    }
    seen.add(item.tag);
  });
  return seen;
}

// V2Ray 4.34 refuses a rule whose conditions are all absent or empty lists.
function hasCondition(r: schema.RuleConfig): boolean {
  return [r.domain, r.domains, r.ip, r.source, r.user, r.inboundTag, r.protocol].some((l) =>
    l?.length
  ) || Boolean(r.port?.length) || Boolean(r.sourcePort?.length) || r.network !== undefined ||
    Boolean(r.attrs);
}

function checkRouting(
  routing: schema.RoutingConfig,
  inTags: Set<string>,
  outTags: Set<string>,
  out: ConfigIssue[],
  uses: GeoUse[],
) {
  routing.rules.forEach((r, i) => {
    const p = ["routing", "rules", i];
    if (r.outboundTag === undefined) out.push(configError([...p, "outboundTag"], "is required"));
    else if (!outTags.has(r.outboundTag)) {
      out.push(
        configError([...p, "outboundTag"], `no outbound has tag ${JSON.stringify(r.outboundTag)}`),
      );
    }
    for (const t of r.inboundTag ?? []) {
      if (!inTags.has(t)) {
        out.push(configWarning([...p, "inboundTag"], `no inbound has tag ${JSON.stringify(t)}`));
      }
    }
    if (!hasCondition(r)) {
      out.push(
        configError(
          p,
          "this rule has no effective fields: it needs a non-empty domain, ip, port, sourcePort, " +
            "network, source, user, inboundTag, protocol or attrs",
        ),
      );
    }
    if (r.type === undefined) {
      out.push(
        configWarning(
          p,
          'no "type": read as "field" (V2Ray 4.34 refuses a rule without "type": "field")',
        ),
      );
    }
    out.push(...sniffingRuleIssues(r, p));
    checkRuleEntries(r, p, out, uses);
  });
}

// A VMess inbound nobody can use: no clients, and no other inbound's detour adds accounts to it.
function noClientWarnings(inbounds: readonly [number, InboundConfig][]): ConfigIssue[] {
  const detourTargets = new Set(
    inbounds.flatMap(([, i]) =>
      i.protocol === "vmess" && i.settings.detour ? [i.settings.detour.to] : []
    ),
  );
  const out: ConfigIssue[] = [];
  for (const [index, ib] of inbounds) {
    if (ib.protocol !== "vmess" || ib.settings.clients.length > 0) continue;
    if (ib.tag !== undefined && detourTargets.has(ib.tag)) continue;
    out.push(
      configWarning(
        ["inbounds", index, "settings", "clients"],
        "no clients: every VMess connection to this inbound will be refused",
      ),
    );
  }
  return out;
}

/**
 * Validates a parsed (and merged) config object; never throws. Geo references are resolved
 * through `options.assets`.
 */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): ValidationResult {
  const top = parseSection(schema.root, raw, [], ROOT_ENUMS);
  const issues = [...top.issues];
  if (!top.value) return { issues };
  const root = top.value;

  if (root.api !== undefined) issues.push(configWarning(["api"], "is accepted but not acted on"));
  issues.push(...dnsIssues(root.dns));

  const inbounds: InboundConfig[] = [];
  const indexed: [number, InboundConfig][] = [];
  root.inbounds.forEach((ib, i) => {
    const path = ["inbounds", i];
    const stream = resolveStreamSettings(
      ib.streamSettings,
      root.transport,
      [...path, "streamSettings"],
      "inbound",
    );
    issues.push(...stream.issues);
    if (!(ib.protocol in INBOUND_PROTOCOLS)) {
      issues.push(protocolIssue([...path, "protocol"], ib.protocol, "inbound"));
      return;
    }
    const protocol = ib.protocol as InboundProtocol;
    const s = parseSection(
      INBOUND_PROTOCOLS[protocol],
      ib.settings ?? {},
      [...path, "settings"],
      SETTINGS_ENUMS[`inbound ${protocol}`],
    );
    issues.push(...s.issues);
    const { streamSettings: _, ...base } = ib;
    if (s.value && stream.value) {
      const built = { ...base, stream: stream.value, protocol, settings: s.value } as InboundConfig;
      inbounds.push(built);
      indexed.push([i, built]);
    }
    if (ib.allocate?.strategy === "random" && protocol !== "vmess") {
      issues.push(
        configError(
          [...path, "allocate", "strategy"],
          '"random" is only supported for vmess inbounds',
        ),
      );
    }
  });

  const outbounds: OutboundConfig[] = [];
  root.outbounds.forEach((ob, i) => {
    const path = ["outbounds", i];
    const stream = resolveStreamSettings(
      ob.streamSettings,
      root.transport,
      [...path, "streamSettings"],
      "outbound",
    );
    issues.push(...stream.issues);
    if (!(ob.protocol in OUTBOUND_PROTOCOLS)) {
      issues.push(protocolIssue([...path, "protocol"], ob.protocol, "outbound"));
      return;
    }
    const protocol = ob.protocol as OutboundProtocol;
    const s = parseSection(
      OUTBOUND_PROTOCOLS[protocol],
      ob.settings ?? {},
      [...path, "settings"],
      SETTINGS_ENUMS[`outbound ${protocol}`],
    );
    issues.push(...s.issues);
    const { streamSettings: _, ...base } = ob;
    if (s.value) {
      outbounds.push(
        {
          ...base,
          stream: stream.value ?? PLAIN_TCP,
          protocol,
          settings: s.value,
        } as OutboundConfig,
      );
      issues.push(...outboundInertWarnings(ob, path));
      const mux = readMuxSetting(ob.mux);
      if (mux.kind === "invalid") {
        issues.push(configError([...path, "mux", "concurrency"], mux.message));
      }
    }
  });

  const inTags = checkTags(root.inbounds, "inbounds", issues);
  const outTags = checkTags(root.outbounds, "outbounds", issues);
  if (root.inbounds.length > 0 && root.outbounds.length === 0) {
    issues.push(configError(["outbounds"], "at least one outbound is needed to carry traffic"));
  }
  issues.push(...chainIssues(root.outbounds));
  root.inbounds.forEach((ib, i) => {
    const to = ib.protocol === "vmess"
      ? (ib.settings as { detour?: { to?: unknown } } | undefined)?.detour?.to
      : undefined;
    if (typeof to !== "string") return;
    const target = root.inbounds.find((t) => t.tag === to);
    const path = ["inbounds", i, "settings", "detour", "to"];
    if (!target) issues.push(configError(path, `no inbound has tag ${JSON.stringify(to)}`));
    else if (target.protocol !== "vmess") {
      // V2Ray sends no SwitchAccount then: an error beats a detour that silently does nothing.
      issues.push(
        configError(
          path,
          `${JSON.stringify(to)} is a ${target.protocol} inbound: a detour needs a vmess inbound`,
        ),
      );
    }
  });
  const routing = root.routing ?? { domainStrategy: "AsIs" as const, rules: [] };
  issues.push(...routingInertWarnings(root.routing));
  const geoUses: GeoUse[] = [];
  checkRouting(routing, inTags, outTags, issues, geoUses);
  geoUses.push(...dnsGeoUses(root.dns));
  issues.push(...noClientWarnings(indexed));
  if (issues.some((i) => i.severity === "error")) return { issues };
  // Files are read only for a config that is otherwise right.
  const { geo, issues: geoIssues } = resolveGeo(geoUses, options.assets ?? NO_ASSETS);
  issues.push(...geoIssues);
  if (issues.some((i) => i.severity === "error")) return { issues };
  return {
    config: {
      log: root.log,
      inbounds,
      outbounds,
      routing,
      policy: root.policy,
      stats: root.stats !== undefined,
      statsListen: root.stats?.listen,
      ntp: root.ntp,
      geo,
      written: {
        inbounds: root.inbounds.map((i) => i.streamSettings),
        outbounds: root.outbounds.map((o) => o.streamSettings),
        transport: root.transport,
      },
      dns: root.dns && resolveDnsGeo(root.dns, geo),
    },
    issues,
  };
}
