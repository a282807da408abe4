/** Routing: picks the outbound for a session and destination, first matching rule wins. */
import type { RoutingConfig } from "../config/mod.ts";
import type { Destination } from "../core/destination.ts";
import type { Session } from "../core/session.ts";
import { type GeoData, NO_GEO_DATA } from "../geo/mod.ts";
import { compileRule } from "./rule.ts";

/** Chooses an outbound tag; null means the default (first) outbound. */
export interface Router {
  /** The tag for this session and destination, or null for the default. */
  route(session: Session, destination: Destination, resolved?: readonly string[]): string | null;
  /** Whether ip rules need a domain resolved first (domainStrategy IPIfNonMatch / IPOnDemand). */
  readonly resolvesDomains: boolean;
}

/** A router for `config`; `geo` holds the data its geoip/geosite references resolved to. */
export function createRouter(config: RoutingConfig, geo: GeoData = NO_GEO_DATA): Router {
  const rules = config.rules.map((r) => compileRule(r, geo));
  return {
    resolvesDomains: config.domainStrategy !== "AsIs" && rules.some((r) => r.usesIp),
    route(session, destination, resolved) {
      for (const r of rules) if (r.matches(session, destination, resolved)) return r.outboundTag;
      return null;
    },
  };
}

export { type Cidr, cidrContains, parseCidr } from "../core/cidr.ts";
export { DomainSet } from "./domain_set.ts";
export { IpSet } from "./ip_set.ts";
export { MissingGeoData } from "./rule.ts";
