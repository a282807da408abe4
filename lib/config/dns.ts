/**
 * The `dns` section as V2Ray 4.34 reads it: `hosts`, `servers` (strings or objects with
 * `address`, `port`, `domains`, `expectIps`, `clientIp`), `clientIp` and `tag`; resolved to
 * typed servers and parsed domain rules.
 */
import { z } from "zod";
import { ipAddress, stringList } from "./fields.ts";
import { type ConfigIssue, configWarning } from "./issues.ts";
import { addressKind, isValidDomain } from "../core/destination.ts";
import { type Cidr, parseCidr } from "../core/cidr.ts";
import { type DomainRule, type HostsEntry, parseDomainRule } from "../dns/mod.ts";
import {
  type GeoData,
  geoKey,
  type IpRef,
  parseIpRef,
  parseSiteRef,
  type SiteRef,
  withAttributes,
} from "../geo/mod.ts";
import type { GeoUse } from "./geo_resolve.ts";

/** A geosite / ext: list in `domains`, expanded once geo data is read (resolveDnsGeo). */
export interface DnsSiteEntry {
  /** Discriminant. */
  readonly kind: "site";
  /** The list. */
  readonly ref: SiteRef;
  /** As written. */
  readonly entry: string;
}

/** A geoip / ext: block list in `expectIps`, expanded once geo data is read. */
export interface DnsIpEntry {
  /** Discriminant. */
  readonly kind: "geoip";
  /** The list. */
  readonly ref: IpRef;
  /** As written. */
  readonly entry: string;
}

/** What every kind of server has. */
interface ServerCommon {
  /** The address as written, for log lines. */
  readonly name: string;
  /** Names this server is asked first for (geo lists expanded by resolveDnsGeo). */
  readonly domains: readonly (DomainRule | DnsSiteEntry)[];
  /** Answers are kept only if their addresses fall in one of these (none: all kept). */
  readonly expectIps: readonly (Cidr | DnsIpEntry)[];
  /** The EDNS client subnet address for this server, if any (overrides the section's). */
  readonly clientIp?: string;
}

/** One name server as parsed (geo lists not expanded yet). */
export type ParsedDnsServer =
  | ServerCommon & { readonly kind: "localhost" }
  | ServerCommon & { readonly kind: "udp"; readonly host: string; readonly port: number }
  | ServerCommon & { readonly kind: "doh"; readonly url: string }
  | ServerCommon & { readonly kind: "unusable"; readonly why: string };

type ServerAddress =
  | { readonly kind: "localhost" }
  | { readonly kind: "udp"; readonly host: string }
  | { readonly kind: "doh"; readonly url: string }
  | { readonly kind: "unusable"; readonly text: string; readonly why: string };

// 4.34 takes an IP or a domain (UDP), "localhost", or an https:// or https+local:// URL.
const serverAddress = z.string().transform((s, ctx): ServerAddress => {
  if (s === "localhost") return { kind: "localhost" };
  const scheme = /^([a-z+]+):\/\//i.exec(s)?.[1]?.toLowerCase();
  if (scheme === "https" || scheme === "https+local") {
    try {
      const url = new URL("https" + s.slice(scheme.length));
      return { kind: "doh", url: url.href };
    } catch {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(s)} is not a valid URL` });
      return z.NEVER;
    }
  }
  if (scheme === "quic+local") {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(s)}: DNS over QUIC is not supported ` +
        `(use an IP address, "localhost", or https://)`,
    });
    return z.NEVER;
  }
  if (scheme !== undefined) {
    // 4.34 accepts any other URL as the name of a UDP server, which never resolves.
    return {
      kind: "unusable",
      text: s,
      why: `4.34 has no ${scheme}:// servers: it takes this for a name that never resolves, ` +
        `so this server is skipped (use an IP address, "localhost", or https://)`,
    };
  }
  const host = s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s;
  if (addressKind(host) !== "domain" || isValidDomain(host)) return { kind: "udp", host };
  ctx.addIssue({
    code: "custom",
    message:
      `${JSON.stringify(s)} is not an IP address, a domain, "localhost" or an https:// URL ` +
      `(the port goes in "port")`,
  });
  return z.NEVER;
});

const domainRules = z.array(z.string()).transform((list, ctx) => {
  const out: (DomainRule | DnsSiteEntry)[] = [];
  list.forEach((text, i) => {
    const site = parseSiteRef(text);
    if (site !== undefined) {
      if ("problem" in site) {
        ctx.addIssue({
          code: "custom",
          message: `${JSON.stringify(text)}: ${site.problem}`,
          path: [i],
        });
      } else out.push({ kind: "site", ref: site.ref, entry: text });
      return;
    }
    const r = parseDomainRule(text, "keyword");
    if ("error" in r) ctx.addIssue({ code: "custom", message: r.error, path: [i] });
    else out.push(r);
  });
  return out;
});

const cidrList = stringList.transform((list, ctx) => {
  const out: (Cidr | DnsIpEntry)[] = [];
  list.forEach((text, i) => {
    const ip = parseIpRef(text);
    const c = ip === undefined ? parseCidr(text) : null;
    const problem = ip === undefined
      ? (c ? null : `${JSON.stringify(text)} is not an IP address or a CIDR block`)
      : "problem" in ip
      ? `${JSON.stringify(text)}: ${ip.problem}`
      // 4.34's DNS has no negated lists.
      : ip.ref.negate
      ? `${JSON.stringify(text)}: "!" is not supported in expectIps`
      : null;
    if (problem) ctx.addIssue({ code: "custom", path: [i], message: problem });
    else if (ip !== undefined && "ref" in ip) out.push({ kind: "geoip", ref: ip.ref, entry: text });
    else out.push(c!);
  });
  return out;
});

const serverObject = z.strictObject({
  address: serverAddress,
  // 0 (or none) is the protocol's default port, 53.
  port: z.number().int().min(0).max(65535).default(0),
  domains: domainRules.default([]),
  expectIps: cidrList.default([]),
  clientIp: ipAddress.optional(),
});

/**
 * One entry of `servers`: the short string form (an address alone) or the object form. The string
 * is read as the object's `address`, so its problems are reported there.
 */
export const dnsServer = z.preprocess(
  (v) => (typeof v === "string" ? { address: v } : v),
  serverObject,
).transform((o): ParsedDnsServer => {
  const a = o.address;
  const common = { domains: o.domains, expectIps: o.expectIps, clientIp: o.clientIp };
  if (a.kind === "udp") {
    const port = o.port === 0 ? 53 : o.port;
    const host = a.host.includes(":") ? `[${a.host}]` : a.host;
    return { kind: "udp", host: a.host, port, name: `udp:${host}:${port}`, ...common };
  }
  // As 4.34, `port` is read only for UDP servers.
  if (a.kind === "unusable") return { kind: "unusable", why: a.why, name: a.text, ...common };
  return a.kind === "doh"
    ? { kind: "doh", url: a.url, name: a.url, ...common }
    : { kind: "localhost", name: "localhost", ...common };
});

// A hosts value: an IP, a domain that stands in for the name, or a list of IPs.
const hostsValue = z.union([z.string(), z.array(z.string()).min(1)]).transform((v, ctx) => {
  const list = typeof v === "string" ? [v] : v;
  for (const [i, a] of list.entries()) {
    const kind = addressKind(a);
    if (kind !== "domain") continue;
    if (list.length === 1 && isValidDomain(a)) continue;
    ctx.addIssue({
      code: "custom",
      path: typeof v === "string" ? [] : [i],
      message: list.length === 1
        ? `${JSON.stringify(a)} is not an IP address or a domain`
        : `${JSON.stringify(a)}: a list holds IP addresses only`,
    });
    return z.NEVER;
  }
  return list;
});

const hosts = z.record(z.string(), hostsValue).transform((record, ctx) => {
  const out: HostsEntry[] = [];
  for (const [rule, values] of Object.entries(record)) {
    const r = parseDomainRule(rule, "full");
    if ("error" in r) ctx.addIssue({ code: "custom", message: r.error, path: [rule] });
    else out.push({ rule, values });
  }
  return out;
});

/** The `dns` section. */
export const dns = z.strictObject({
  hosts: hosts.default([]),
  servers: z.array(dnsServer).default([]),
  clientIp: ipAddress.optional(),
  tag: z.string().optional(),
});

/** The parsed `dns` section (geo lists not read yet). */
export type ParsedDnsConfig = z.output<typeof dns>;

/** One name server with its geo lists expanded. */
export type DnsServerConfig = ParsedDnsServer extends infer S
  ? S extends ParsedDnsServer ? Omit<S, "domains" | "expectIps"> & {
      /** Names this server is asked first for. */
      readonly domains: readonly DomainRule[];
      /** Answers are kept only if their addresses fall in one of these (none: all kept). */
      readonly expectIps: readonly Cidr[];
    }
  : never
  : never;

/** The `dns` section, its geo lists expanded: what the resolver is built from. */
export type DnsConfig = Omit<ParsedDnsConfig, "servers"> & {
  /** The name servers in order. */
  readonly servers: readonly DnsServerConfig[];
};

/** Warnings about a `dns` section: servers that can never answer, and what `tag` does here. */
export function dnsIssues(config: ParsedDnsConfig | undefined): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  config?.servers.forEach((s, i) => {
    if (s.kind === "unusable") out.push(configWarning(["dns", "servers", i], s.why));
  });
  if (config?.tag !== undefined) {
    out.push(
      configWarning(
        ["dns", "tag"],
        "DNS queries are sent from this host directly, not through routing: " +
          "a rule on this inboundTag never matches",
      ),
    );
  }
  return out;
}

/** The geo lists a `dns` section names, with their JSON paths (to be read with the routing's). */
export function dnsGeoUses(config: ParsedDnsConfig | undefined): GeoUse[] {
  const out: GeoUse[] = [];
  config?.servers.forEach((s, i) => {
    s.domains.forEach((d, j) => {
      if ("ref" in d) {
        out.push({ path: ["dns", "servers", i, "domains", j], entry: d.entry, ref: d.ref });
      }
    });
    s.expectIps.forEach((c, j) => {
      if ("ref" in c) {
        out.push({ path: ["dns", "servers", i, "expectIps", j], entry: c.entry, ref: c.ref });
      }
    });
  });
  return out;
}

// A geosite domain as a DNS domain rule: its plain (substring) kind is a keyword.
function siteRule(d: { readonly kind: string; readonly value: string }): DomainRule {
  const kind = d.kind === "plain" ? "keyword" : d.kind as DomainRule["kind"];
  return { kind, value: d.value };
}

/** `config` with its geo lists replaced by the domains and blocks `geo` holds for them. */
export function resolveDnsGeo(config: ParsedDnsConfig, geo: GeoData): DnsConfig {
  return {
    ...config,
    servers: config.servers.map((s): DnsServerConfig => ({
      ...s,
      domains: s.domains.flatMap((d) =>
        "ref" in d
          ? withAttributes(geo.sites.get(geoKey(d.ref.file, d.ref.tag)) ?? [], d.ref.attrs)
            .map(siteRule)
          : [d]
      ),
      expectIps: s.expectIps.flatMap((c) =>
        "ref" in c ? [...(geo.ips.get(geoKey(c.ref.file, c.ref.tag)) ?? [])] : [c]
      ),
    })),
  };
}
