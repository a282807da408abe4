/** Geo data resolved for one config: only the tags it names, keyed by geoKey(file, tag). */
import type { Cidr } from "../core/cidr.ts";
import type { SiteDomain } from "./dat.ts";

/** The blocks and domain lists a config's references resolved to. */
export interface GeoData {
  /** geoKey(file, tag) → blocks. */
  readonly ips: ReadonlyMap<string, readonly Cidr[]>;
  /** geoKey(file, list) → domains (all of them; `@attr` filters apply when matching). */
  readonly sites: ReadonlyMap<string, readonly SiteDomain[]>;
}

/** Geo data for a config that names none. */
export const NO_GEO_DATA: GeoData = { ips: new Map(), sites: new Map() };

/** The domains having every attribute in `attrs` (all of them when `attrs` is empty). */
export function withAttributes(
  domains: readonly SiteDomain[],
  attrs: readonly string[],
): readonly SiteDomain[] {
  return attrs.length === 0
    ? domains
    : domains.filter((d) => attrs.every((a) => d.attrs.includes(a)));
}
