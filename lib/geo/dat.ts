/**
 * Reading and writing V2Ray's geoip.dat / geosite.dat (protobuf GeoIPList / GeoSiteList). Reading
 * walks the list's entries and decodes only the tags asked for, so a 20 MB geoip.dat costs one
 * pass over its bytes, not a decoded copy of every country.
 */
import { DenorayError } from "../core/errors.ts";
import type { Cidr } from "../core/cidr.ts";
import type { DomainPattern } from "./domain_entry.ts";
import {
  decodeGeoIp,
  decodeGeoSite,
  type DomainMessage,
  encodeGeoIpList,
  encodeGeoSiteList,
  entryCode,
  forEachEntry,
} from "./dat_wire.ts";

/** A .dat file that is not a GeoIPList / GeoSiteList, or holds an entry we cannot use. */
export class GeoDataError extends DenorayError {
  /** Bad geo data: `message` says what and where. */
  constructor(message: string, options?: ErrorOptions) {
    super("bad-geo-data", message, options);
  }
}

/** How a geosite domain matches, as V2Ray's Domain.Type. */
export const SITE_DOMAIN_KINDS = ["plain", "regex", "domain", "full"] as const;
/** How a geosite domain matches: substring, regular expression, domain and subdomains, exact. */
export type SiteDomainKind = (typeof SITE_DOMAIN_KINDS)[number];

/** One domain of a geosite list: a pattern with attributes. */
export interface SiteDomain extends DomainPattern {
  /** Its attribute names, lower case (for `@attr` filters). */
  readonly attrs: readonly string[];
}

// Domain.Type numbers: Plain 0, Regex 1, Domain 2, Full 3.
const KIND_BY_NUMBER: readonly SiteDomainKind[] = ["plain", "regex", "domain", "full"];

/** The raw bytes of each top-level `entry` whose country_code is in `wanted`. */
function wantedEntries(bytes: Uint8Array, wanted: ReadonlySet<string>): Map<string, Uint8Array> {
  const found = new Map<string, Uint8Array>();
  forEachEntry(bytes, (entry) => {
    const code = entryCode(entry).toUpperCase();
    // V2Ray takes the first entry with a matching code (strings.EqualFold).
    if (wanted.has(code) && !found.has(code)) found.set(code, entry);
    return found.size < wanted.size;
  });
  return found;
}

function decode<T>(fn: (bytes: Uint8Array) => T, bytes: Uint8Array, what: string): T {
  try {
    return fn(bytes);
  } catch (e) {
    throw new GeoDataError(`${what}: ${(e as Error).message}`, { cause: e });
  }
}

function scan(bytes: Uint8Array, wanted: ReadonlySet<string>, what: string) {
  try {
    return wantedEntries(bytes, wanted);
  } catch (e) {
    throw new GeoDataError(`not a V2Ray ${what}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The CIDR blocks of each tag in `tags` (matched case-insensitively; keys are upper case) found in
 * a GeoIPList; tags the file lacks are absent from the result.
 */
export function readGeoIp(bytes: Uint8Array, tags: Iterable<string>): Map<string, Cidr[]> {
  const wanted = new Set([...tags].map((t) => t.toUpperCase()));
  const out = new Map<string, Cidr[]>();
  for (const [code, entry] of scan(bytes, wanted, "GeoIPList")) {
    const geo = decode(decodeGeoIp, entry, `geoip "${code}"`);
    // One copy of the tag's addresses (views into the file would keep all of it alive).
    const store = new Uint8Array(geo.cidr.reduce((n, c) => n + c.ip.length, 0));
    let at = 0;
    out.set(
      code,
      geo.cidr.map((c, i) => {
        const bits = c.ip.length * 8;
        if ((c.ip.length !== 4 && c.ip.length !== 16) || c.prefix > bits) {
          throw new GeoDataError(
            `geoip "${code}" entry ${i}: ${c.ip.length}-byte address with prefix ${c.prefix}`,
          );
        }
        store.set(c.ip, at);
        at += c.ip.length;
        return { bytes: store.subarray(at - c.ip.length, at), prefix: c.prefix };
      }),
    );
  }
  return out;
}

/**
 * The domains of each list in `tags` (matched case-insensitively; keys are upper case) found in a
 * GeoSiteList; lists the file lacks are absent from the result.
 */
export function readGeoSite(bytes: Uint8Array, tags: Iterable<string>): Map<string, SiteDomain[]> {
  const wanted = new Set([...tags].map((t) => t.toUpperCase()));
  const out = new Map<string, SiteDomain[]>();
  for (const [code, entry] of scan(bytes, wanted, "GeoSiteList")) {
    const site = decode(decodeGeoSite, entry, `geosite "${code}"`);
    out.set(code, site.domain.map((d, i) => siteDomain(d, `geosite "${code}" entry ${i}`)));
  }
  return out;
}

function siteDomain(d: DomainMessage, where: string): SiteDomain {
  const kind = KIND_BY_NUMBER[d.type];
  if (kind === undefined) throw new GeoDataError(`${where}: unknown domain type ${d.type}`);
  return { kind, value: d.value, attrs: d.attributes.map((a) => a.toLowerCase()) };
}

/** One tag to write with encodeGeoIp. */
export interface GeoIpEntry {
  /** The tag. */
  readonly code: string;
  /** Its blocks. */
  readonly cidrs: readonly Cidr[];
}

/** One list to write with encodeGeoSite. */
export interface GeoSiteEntry {
  /** The list name. */
  readonly code: string;
  /** Its domains; each attribute is written as `key: true`. */
  readonly domains: readonly SiteDomain[];
}

/** A GeoIPList holding `entries`, as V2Ray's tools write geoip.dat (for tests and tools). */
export function encodeGeoIp(entries: readonly GeoIpEntry[]): Uint8Array {
  return encodeGeoIpList(
    entries.map((e) => ({
      countryCode: e.code,
      cidr: e.cidrs.map((c) => ({ ip: c.bytes, prefix: c.prefix })),
    })),
  );
}

/** A GeoSiteList holding `entries`, as V2Ray's tools write geosite.dat (for tests and tools). */
export function encodeGeoSite(entries: readonly GeoSiteEntry[]): Uint8Array {
  return encodeGeoSiteList(
    entries.map((e) => ({
      countryCode: e.code,
      domain: e.domains.map((d) => ({
        type: KIND_BY_NUMBER.indexOf(d.kind),
        value: d.value,
        attributes: d.attrs,
      })),
    })),
  );
}
