/** The entries of a routing rule's domain list that are patterns rather than geo references. */
import type { SiteDomainKind } from "./dat.ts";

/** One pattern: `full` exact, `domain` itself and subdomains, `plain` substring, `regex`. */
export interface DomainPattern {
  /** How it matches. */
  readonly kind: SiteDomainKind;
  /** The name, keyword or regular expression. */
  readonly value: string;
}

const PREFIXES: readonly [string, SiteDomainKind][] = [
  ["regexp:", "regex"],
  ["domain:", "domain"],
  ["full:", "full"],
  ["keyword:", "plain"],
];

/**
 * Parses a domain-list entry as V2Ray 4.34 does: `regexp:`, `domain:`, `full:`, `keyword:`,
 * `dotless:` (a name without dots, optionally containing a substring), else a plain substring.
 * Geo references (`geosite:`, `ext:`) are not patterns: parse them with parseSiteRef first.
 */
export function parseDomainEntry(entry: string): { pattern: DomainPattern } | { problem: string } {
  for (const [prefix, kind] of PREFIXES) {
    if (!entry.startsWith(prefix)) continue;
    const value = entry.slice(prefix.length);
    if (value === "") return { problem: `empty ${prefix} value` };
    if (kind === "regex") {
      try {
        new RegExp(value);
      } catch {
        return { problem: "not a valid regular expression" };
      }
    }
    return { pattern: { kind, value } };
  }
  if (entry.startsWith("dotless:")) {
    const sub = entry.slice(8);
    if (sub.includes(".")) return { problem: "dotless: must not contain a dot" };
    // As in 4.34, the substring goes into the expression as written.
    const value = sub === "" ? "^[^.]*$" : `^[^.]*${sub}[^.]*$`;
    try {
      new RegExp(value);
    } catch {
      return { problem: "not a valid regular expression" };
    }
    return { pattern: { kind: "regex", value } };
  }
  return { pattern: { kind: "plain", value: entry } };
}
