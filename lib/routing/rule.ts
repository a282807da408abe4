/** One routing rule compiled from V2Ray's `field` rule into a predicate. */
import type { RuleConfig } from "../config/mod.ts";
import type { Destination } from "../core/destination.ts";
import type { Session } from "../core/session.ts";
import { type Cidr, ipBytes, parseCidr } from "../core/cidr.ts";
import { DenorayError } from "../core/errors.ts";
import {
  type DomainPattern,
  type GeoData,
  geoKey,
  parseDomainEntry,
  parseIpRef,
  parseSiteRef,
  withAttributes,
} from "../geo/mod.ts";
import { DomainSet } from "./domain_set.ts";
import { IpSet } from "./ip_set.ts";
import { compileAttrs } from "../attrs/mod.ts";

/** A compiled rule. */
export interface CompiledRule {
  /** The outbound tag it routes to. */
  readonly outboundTag: string;
  /** Whether the rule has ip conditions (for IPIfNonMatch / IPOnDemand resolution). */
  readonly usesIp: boolean;
  /** Whether the session and destination (with `resolved` IPs for a domain) match. */
  matches(session: Session, dest: Destination, resolved?: readonly string[]): boolean;
}

/** A rule's geo reference whose data is missing: validation resolves them all first. */
export class MissingGeoData extends DenorayError {
  /** No data for geo reference `entry`. */
  constructor(entry: string) {
    super("missing-geo-data", `no geo data for ${JSON.stringify(entry)}`);
  }
}

function domainSet(entries: readonly string[], geo: GeoData): DomainSet {
  const patterns: DomainPattern[] = [];
  for (const e of entries) {
    const site = parseSiteRef(e);
    if (site && "ref" in site) {
      const list = geo.sites.get(geoKey(site.ref.file, site.ref.tag));
      if (!list) throw new MissingGeoData(e);
      patterns.push(...withAttributes(list, site.ref.attrs));
    } else {
      const p = parseDomainEntry(e);
      if ("pattern" in p) patterns.push(p.pattern);
    }
  }
  return new DomainSet(patterns);
}

/** Any of: an address in `inside`, or an address outside one of `outside` (`geoip:!cc`). */
interface IpCondition {
  readonly inside: IpSet;
  readonly outside: readonly IpSet[];
}

function ipCondition(entries: readonly string[], geo: GeoData): IpCondition {
  const inside: Cidr[] = [];
  const outside: IpSet[] = [];
  for (const e of entries) {
    const ref = parseIpRef(e);
    if (ref && "ref" in ref) {
      const blocks = geo.ips.get(geoKey(ref.ref.file, ref.ref.tag));
      if (!blocks) throw new MissingGeoData(e);
      if (ref.ref.negate) outside.push(new IpSet(blocks));
      else inside.push(...blocks);
    } else {
      const c = parseCidr(e);
      if (c) inside.push(c);
    }
  }
  return { inside: new IpSet(inside), outside };
}

function ipMatches(c: IpCondition, address: string): boolean {
  const b = ipBytes(address);
  return b !== null && (c.inside.has(b) || c.outside.some((s) => !s.has(b)));
}

function inRanges(port: number, ranges: readonly { from: number; to: number }[]): boolean {
  return ranges.some((r) => port >= r.from && port <= r.to);
}

/**
 * Compiles a validated rule; `geo` holds the data of its geoip/geosite references (validation
 * resolved them, so a missing one is a bug: MissingGeoData).
 */
export function compileRule(r: RuleConfig, geo: GeoData): CompiledRule {
  const checks: ((s: Session, d: Destination, resolved?: readonly string[]) => boolean)[] = [];
  // An empty list is no condition at all, as in V2Ray (validation refuses a rule left with none).
  if (r.inboundTag?.length) {
    const tags = new Set(r.inboundTag);
    checks.push((s) => tags.has(s.inboundTag));
  }
  const domains = [...(r.domain ?? []), ...(r.domains ?? [])];
  if (domains.length > 0) {
    const set = domainSet(domains, geo);
    checks.push((_, d) => ipBytes(d.address) === null && set.has(d.address));
  }
  const usesIp = Boolean(r.ip?.length);
  if (r.ip?.length) {
    const cond = ipCondition(r.ip, geo);
    checks.push((_, d, resolved) => {
      const candidates = ipBytes(d.address) ? [d.address] : resolved ?? [];
      return candidates.some((a) => ipMatches(cond, a));
    });
  }
  if (r.port?.length) {
    const ranges = r.port;
    checks.push((_, d) => inRanges(d.port, ranges));
  }
  if (r.sourcePort?.length) {
    const ranges = r.sourcePort;
    checks.push((s) => inRanges(s.source.port, ranges));
  }
  if (r.network) {
    const nets = new Set(r.network.split(","));
    checks.push((_, d) => nets.has(d.network));
  }
  if (r.source?.length) {
    const cond = ipCondition(r.source, geo);
    checks.push((s) => ipMatches(cond, s.source.address));
  }
  if (r.user?.length) {
    const users = new Set(r.user);
    checks.push((s) => s.user !== undefined && users.has(s.user.email));
  }
  if (r.protocol?.length) {
    // As 4.34: a prefix of the connection's protocol ("http" matches "http1" and "http/1.1");
    // empty names are skipped, so a list of only those never matches.
    const names = r.protocol.filter((p) => p !== "");
    checks.push((s) => s.protocol !== undefined && names.some((p) => s.protocol!.startsWith(p)));
  }
  if (r.attrs) {
    const satisfied = compileAttrs(r.attrs);
    checks.push((s) => s.attributes !== undefined && satisfied(s.attributes));
  }
  return {
    outboundTag: r.outboundTag!,
    usesIp,
    // A rule with no condition matches nothing, as V2Ray refuses such rules.
    matches: (s, d, resolved) => checks.length > 0 && checks.every((c) => c(s, d, resolved)),
  };
}
