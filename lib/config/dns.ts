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

/** What every kind of server has. */
interface ServerCommon {
  /** The address as written, for log lines. */
  readonly name: string;
  /** Names this server is asked first for. */
  readonly domains: readonly DomainRule[];
  /** Answers are kept only if their addresses fall in one of these (none: all kept). */
  readonly expectIps: readonly Cidr[];
  /** The EDNS client subnet address for this server, if any (overrides the section's). */
  readonly clientIp?: string;
}

/** One name server. */
export type DnsServerConfig =
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
  const out: DomainRule[] = [];
  list.forEach((text, i) => {
    const r = parseDomainRule(text, "keyword");
    if ("error" in r) ctx.addIssue({ code: "custom", message: r.error, path: [i] });
    else out.push(r);
  });
  return out;
});

const cidrList = stringList.transform((list, ctx) => {
  const out: Cidr[] = [];
  list.forEach((text, i) => {
    const c = parseCidr(text);
    if (c) out.push(c);
    else {
      ctx.addIssue({
        code: "custom",
        path: [i],
        message: text.startsWith("geoip:")
          ? `${JSON.stringify(text)}: geoip lists are not supported in dns yet`
          : `${JSON.stringify(text)} is not an IP address or a CIDR block`,
      });
    }
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
).transform((o): DnsServerConfig => {
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

/** The parsed `dns` section. */
export type DnsConfig = z.output<typeof dns>;

/** Warnings about a `dns` section: servers that can never answer, and what `tag` does here. */
export function dnsIssues(config: DnsConfig | undefined): ConfigIssue[] {
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
