/**
 * Resolving a config's geoip/geosite references: each asset file is read once (through an
 * AssetSource the caller supplies, so this module stays free of file access) and only the tags
 * the config names are decoded.
 */
import type { Cidr } from "../core/cidr.ts";
import {
  type GeoData,
  GeoDataError,
  GEOIP_FILE,
  geoKey,
  type IpRef,
  PRIVATE_CIDRS,
  readGeoIp,
  readGeoSite,
  type SiteDomain,
  type SiteRef,
  withAttributes,
} from "../geo/mod.ts";
import { configError, type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";

/** An asset file's bytes and where they were found, or every place looked in. */
export type AssetRead =
  | { readonly path: string; readonly bytes: Uint8Array }
  | { readonly searched: readonly string[]; readonly problem?: string };

/** Where asset files (geoip.dat, geosite.dat, ext: files) come from. */
export interface AssetSource {
  /** Looks for asset `name` (a file name, as written after `ext:`). */
  read(name: string): AssetRead;
}

/** An AssetSource that has no files (`geoip:private` still resolves, built in). */
export const NO_ASSETS: AssetSource = { read: () => ({ searched: [] }) };

/** One geo reference in a config, with where it is. */
export interface GeoUse {
  /** Its JSON path, e.g. routing.rules[0].ip[1]. */
  readonly path: JsonPath;
  /** The entry as written. */
  readonly entry: string;
  /** What it refers to. */
  readonly ref: IpRef | SiteRef;
}

function isPrivate(ref: IpRef | SiteRef): boolean {
  return ref.kind === "ip" && ref.file === GEOIP_FILE && ref.tag.toUpperCase() === "PRIVATE";
}

function notFound(read: { searched: readonly string[]; problem?: string }, file: string): string {
  if (read.problem) return read.problem;
  return read.searched.length > 0
    ? `${file} not found (searched ${read.searched.join(", ")})`
    : `${file} not found (no asset directory to search)`;
}

/** Reads the files `uses` refer to and returns the data of their tags, with an issue per problem. */
export function resolveGeo(
  uses: readonly GeoUse[],
  assets: AssetSource,
): { geo: GeoData; issues: ConfigIssue[] } {
  const ips = new Map<string, readonly Cidr[]>();
  const sites = new Map<string, readonly SiteDomain[]>();
  const issues: ConfigIssue[] = [];
  const groups = new Map<string, GeoUse[]>();
  for (const u of uses) {
    const k = `${u.ref.kind}\n${u.ref.file}`;
    groups.set(k, [...(groups.get(k) ?? []), u]);
  }
  for (const group of groups.values()) {
    const { kind, file } = group[0].ref;
    const read = assets.read(file);
    const tags = new Set(group.map((u) => u.ref.tag.toUpperCase()));
    let found: Map<string, readonly Cidr[] | readonly SiteDomain[]> = new Map();
    let problem: string | undefined;
    if ("bytes" in read) {
      try {
        found = kind === "ip" ? readGeoIp(read.bytes, tags) : readGeoSite(read.bytes, tags);
      } catch (e) {
        if (!(e instanceof GeoDataError)) throw e;
        problem = `${read.path}: ${e.message}`;
      }
    } else problem = notFound(read, file);
    for (const u of group) {
      const key = geoKey(file, u.ref.tag);
      const data = found.get(u.ref.tag.toUpperCase());
      const say = (m: string) => configError(u.path, `${JSON.stringify(u.entry)}: ${m}`);
      if (data === undefined && isPrivate(u.ref) && !(problem && "bytes" in read)) {
        // 4.34 reads PRIVATE from geoip.dat; without one (or without the tag) we have it built in.
        ips.set(key, PRIVATE_CIDRS);
      } else if (problem) {
        issues.push(say(problem));
      } else if (data === undefined) {
        const where = "path" in read ? read.path : file;
        issues.push(say(`no ${kind === "ip" ? "tag" : "list"} "${u.ref.tag}" in ${where}`));
      } else if (u.ref.kind === "ip") {
        ips.set(key, data as readonly Cidr[]);
      } else {
        const list = data as readonly SiteDomain[];
        sites.set(key, list);
        const bad = list.find((d) => d.kind === "regex" && !validRegExp(d.value));
        if (bad) {
          issues.push(say(`list "${u.ref.tag}" has an invalid regular expression "${bad.value}"`));
        } else if (u.ref.attrs.length > 0 && withAttributes(list, u.ref.attrs).length === 0) {
          issues.push(
            configWarning(
              u.path,
              `${JSON.stringify(u.entry)}: no domain of "${u.ref.tag}" has ${
                u.ref.attrs.map((a) => `@${a}`).join("")
              }: matches nothing`,
            ),
          );
        }
      }
    }
  }
  return { geo: { ips, sites }, issues };
}

function validRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
