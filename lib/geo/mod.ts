/** V2Ray's geo data: .dat decoding, references to it, and the built-in private ranges. */
export {
  encodeGeoIp,
  encodeGeoSite,
  GeoDataError,
  type GeoIpEntry,
  type GeoSiteEntry,
  readGeoIp,
  readGeoSite,
  SITE_DOMAIN_KINDS,
  type SiteDomain,
  type SiteDomainKind,
} from "./dat.ts";
export { type DomainPattern, parseDomainEntry } from "./domain_entry.ts";
export { type GeoData, NO_GEO_DATA, withAttributes } from "./geo_data.ts";
export { PRIVATE_CIDRS, PRIVATE_RANGES } from "./private_ips.ts";
export {
  GEOIP_FILE,
  geoKey,
  GEOSITE_FILE,
  type IpRef,
  parseIpRef,
  parseSiteRef,
  type RefParse,
  type SiteRef,
} from "./ref.ts";
