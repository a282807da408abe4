/**
 * References to geo data in routing lists, as V2Ray spells them: `geoip:CC`, `geoip:!CC`,
 * `ext:FILE:TAG` / `ext-ip:FILE:TAG` in ip and source lists; `geosite:NAME`, `geosite:NAME@attr`,
 * `ext:FILE:NAME[@attr]` / `ext-domain:FILE:NAME` in domain lists.
 */

/** The file `geoip:` reads. */
export const GEOIP_FILE = "geoip.dat";
/** The file `geosite:` reads. */
export const GEOSITE_FILE = "geosite.dat";

/** An ip-list reference: the blocks of `tag` in `file`, or (negate) every address outside them. */
export interface IpRef {
  /** Always "ip". */
  readonly kind: "ip";
  /** The asset file name, e.g. geoip.dat. */
  readonly file: string;
  /** The tag, as written (matched case-insensitively). */
  readonly tag: string;
  /** `!`: matches addresses not in the tag (later V2Ray versions; 4.34 lacks it). */
  readonly negate: boolean;
}

/** A domain-list reference: the domains of list `tag` in `file` having every attribute in `attrs`. */
export interface SiteRef {
  /** Always "site". */
  readonly kind: "site";
  /** The asset file name, e.g. geosite.dat. */
  readonly file: string;
  /** The list name, as written (matched case-insensitively). */
  readonly tag: string;
  /** Attribute filters, lower case; empty: the whole list. */
  readonly attrs: readonly string[];
}

/** A reference, a problem with one, or (undefined) an entry that is no reference at all. */
export type RefParse<R> = { readonly ref: R } | { readonly problem: string } | undefined;

/** The key of a file's tag in resolved geo data. */
export function geoKey(file: string, tag: string): string {
  return `${file}\n${tag.toUpperCase()}`;
}

function extParts(rest: string): { file: string; tag: string } | { problem: string } {
  const kv = rest.split(":");
  if (kv.length !== 2) return { problem: 'not "ext:FILE:TAG"' };
  if (kv[0] === "" || kv[1] === "") return { problem: "empty file name or tag" };
  return { file: kv[0], tag: kv[1] };
}

/** Parses an entry of a rule's `ip` or `source` list. */
export function parseIpRef(entry: string): RefParse<IpRef> {
  if (entry.startsWith("geoip:")) {
    const negate = entry.startsWith("geoip:!");
    const tag = entry.slice(negate ? 7 : 6);
    if (tag === "") return { problem: "empty country code" };
    return { ref: { kind: "ip", file: GEOIP_FILE, tag, negate } };
  }
  const prefix = ["ext:", "ext-ip:"].find((p) => entry.startsWith(p));
  if (prefix === undefined) return undefined;
  const parts = extParts(entry.slice(prefix.length));
  if ("problem" in parts) return parts;
  const negate = parts.tag.startsWith("!");
  const tag = negate ? parts.tag.slice(1) : parts.tag;
  if (tag === "") return { problem: "empty tag" };
  return { ref: { kind: "ip", file: parts.file, tag, negate } };
}

function withAttrs(file: string, spec: string): RefParse<SiteRef> {
  const [list, ...attrs] = spec.split("@");
  const tag = list.trim();
  if (tag === "") return { problem: "empty list name" };
  return {
    ref: {
      kind: "site",
      file,
      tag,
      attrs: attrs.map((a) => a.trim().toLowerCase()).filter((a) => a !== ""),
    },
  };
}

/** Parses an entry of a rule's `domain` / `domains` list. */
export function parseSiteRef(entry: string): RefParse<SiteRef> {
  if (entry.startsWith("geosite:")) return withAttrs(GEOSITE_FILE, entry.slice(8));
  const prefix = ["ext:", "ext-domain:"].find((p) => entry.startsWith(p));
  if (prefix === undefined) return undefined;
  const parts = extParts(entry.slice(prefix.length));
  if ("problem" in parts) return parts;
  return withAttrs(parts.file, parts.tag);
}
