/** One routing rule compiled from V2Ray's `field` rule into a predicate. */
import type { RuleConfig } from "../config/mod.ts";
import type { Destination } from "../core/destination.ts";
import type { Session } from "../core/session.ts";
import { type Cidr, cidrContains, ipBytes, parseCidr } from "../core/cidr.ts";
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

type DomainMatcher = (domain: string) => boolean;

function domainMatcher(pattern: string): DomainMatcher {
  const lower = (s: string) => s.toLowerCase();
  if (pattern.startsWith("regexp:")) {
    const re = new RegExp(pattern.slice(7));
    return (d) => re.test(d);
  }
  if (pattern.startsWith("domain:")) {
    const p = lower(pattern.slice(7));
    return (d) => lower(d) === p || lower(d).endsWith("." + p);
  }
  if (pattern.startsWith("full:")) {
    const p = lower(pattern.slice(5));
    return (d) => lower(d) === p;
  }
  const p = lower(pattern.startsWith("keyword:") ? pattern.slice(8) : pattern);
  return (d) => lower(d).includes(p);
}

function inRanges(port: number, ranges: readonly { from: number; to: number }[]): boolean {
  return ranges.some((r) => port >= r.from && port <= r.to);
}

/** Compiles a validated rule (validation already refused geoip:/geosite: and bad regexps). */
export function compileRule(r: RuleConfig): CompiledRule {
  const checks: ((s: Session, d: Destination, resolved?: readonly string[]) => boolean)[] = [];
  // An empty list is no condition at all, as in V2Ray (validation refuses a rule left with none).
  if (r.inboundTag?.length) {
    const tags = new Set(r.inboundTag);
    checks.push((s) => tags.has(s.inboundTag));
  }
  const domains = [...(r.domain ?? []), ...(r.domains ?? [])].map(domainMatcher);
  if (domains.length > 0) {
    checks.push((_, d) => ipBytes(d.address) === null && domains.some((m) => m(d.address)));
  }
  const ips = (r.ip ?? []).map(parseCidr).filter((c): c is Cidr => c !== null);
  if (ips.length > 0) {
    checks.push((_, d, resolved) => {
      const candidates = ipBytes(d.address) ? [d.address] : resolved ?? [];
      return candidates.some((a) => {
        const b = ipBytes(a);
        return b !== null && ips.some((c) => cidrContains(c, b));
      });
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
    const src = r.source.map(parseCidr).filter((c): c is Cidr => c !== null);
    checks.push((s) => {
      const b = ipBytes(s.source.address);
      return b !== null && src.some((c) => cidrContains(c, b));
    });
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
    usesIp: ips.length > 0,
    // A rule with no condition matches nothing, as V2Ray refuses such rules.
    matches: (s, d, resolved) => checks.length > 0 && checks.every((c) => c(s, d, resolved)),
  };
}
