/** Whole-config validation: shape, per-protocol settings, and the cross-references between them. */
import type { z } from "zod";
import { configError, type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";
import { parseSection } from "./zod_issues.ts";
import * as schema from "./schema.ts";
import { ipBytes, parseCidr } from "../core/cidr.ts";
import { chainIssues } from "./chain.ts";
import { outboundInertWarnings, routingInertWarnings } from "./inert.ts";
import { sniffingRuleIssues } from "./sniffing.ts";
import { type DnsConfig, dnsIssues } from "./dns.ts";
import { PLAIN_TCP, resolveStreamSettings, type StreamSettings } from "./stream_settings.ts";
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
  /** The built-in DNS, if configured (else names are resolved by the system). */
  readonly dns?: DnsConfig;
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

const UNSUPPORTED_MATCHERS = /^(geosite|geoip|ext|ext-domain|ext-ip):/;

// V2Ray 4.34 refuses a rule whose conditions are all absent or empty lists.
function hasCondition(r: schema.RuleConfig): boolean {
  return [r.domain, r.domains, r.ip, r.source, r.user, r.inboundTag, r.protocol].some((l) =>
    l?.length
  ) || Boolean(r.port?.length) || Boolean(r.sourcePort?.length) || r.network !== undefined ||
    Boolean(r.attrs);
}

function cidrProblem(v: string): string {
  const slash = v.indexOf("/");
  const addr = ipBytes(slash < 0 ? v : v.slice(0, slash));
  return addr
    ? `${JSON.stringify(v)}: the prefix length must be a number from 0 to ${addr.length * 8}`
    : `${JSON.stringify(v)} is not an IP address or a CIDR block`;
}

function checkRouting(
  routing: schema.RoutingConfig,
  inTags: Set<string>,
  outTags: Set<string>,
  out: ConfigIssue[],
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
    out.push(...sniffingRuleIssues(r, p));
    for (const key of ["domain", "domains", "ip", "source"] as const) {
      (r[key] ?? []).forEach((v, j) => {
        const m = UNSUPPORTED_MATCHERS.exec(v);
        if (m) {
          out.push(
            configError([...p, key, j], `${JSON.stringify(v)}: ${m[1]}: is not supported yet`),
          );
        } else if ((key === "ip" || key === "source") && parseCidr(v) === null) {
          out.push(configError([...p, key, j], cidrProblem(v)));
        } else if (v.startsWith("regexp:")) {
          try {
            new RegExp(v.slice(7));
          } catch {
            out.push(
              configError([...p, key, j], `${JSON.stringify(v)} is not a valid regular expression`),
            );
          }
        }
      });
    }
  });
}

/** Validates a parsed (and merged) config object; never throws. */
export function validateConfig(raw: unknown): ValidationResult {
  const top = parseSection(schema.root, raw, []);
  const issues = [...top.issues];
  if (!top.value) return { issues };
  const root = top.value;

  if (root.api !== undefined) issues.push(configWarning(["api"], "is accepted but not acted on"));
  issues.push(...dnsIssues(root.dns));

  const inbounds: InboundConfig[] = [];
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
    const s = parseSection(INBOUND_PROTOCOLS[protocol], ib.settings ?? {}, [...path, "settings"]);
    issues.push(...s.issues);
    const { streamSettings: _, ...base } = ib;
    if (s.value && stream.value) {
      inbounds.push(
        { ...base, stream: stream.value, protocol, settings: s.value } as InboundConfig,
      );
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
    const s = parseSection(OUTBOUND_PROTOCOLS[protocol], ob.settings ?? {}, [...path, "settings"]);
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
  checkRouting(routing, inTags, outTags, issues);

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
      dns: root.dns,
    },
    issues,
  };
}
