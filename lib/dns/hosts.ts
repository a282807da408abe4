/**
 * The static `hosts` table as V2Ray 4.34 consults it: every entry a name matches contributes its
 * addresses; a single domain value stands for that name instead (followed up to 5 times).
 */
import { addressKind } from "../core/destination.ts";
import { DomainRuleGroup, parseDomainRule } from "./domain_rule.ts";

/** Which addresses a lookup wants. */
export const IP_FAMILIES = ["ip", "ipv4", "ipv6"] as const;

/** Both families, IPv4 only, or IPv6 only. */
export type IpFamily = (typeof IP_FAMILIES)[number];

/** One `hosts` entry: a rule (full name by default) and its IPs or one domain. */
export interface HostsEntry {
  /** The key as written ("example.com", "domain:example.com", "keyword:…", "regexp:…"). */
  readonly rule: string;
  /** IP literals, or one domain name that stands in for the matched name. */
  readonly values: readonly string[];
}

/** What the table says about a name. */
export type HostsAnswer =
  | { readonly kind: "none" }
  | { readonly kind: "ips"; readonly ips: readonly string[] }
  | { readonly kind: "domain"; readonly domain: string };

const MAX_DEPTH = 5;

/** Whether `address` is in `family`. */
export function inFamily(address: string, family: IpFamily): boolean {
  const k = addressKind(address);
  return k !== "domain" && (family === "ip" || (family === "ipv4") === (k === "ipv4"));
}

/** A hosts table; entries whose rule does not parse are skipped (validation reports them). */
export class StaticHosts {
  readonly #group = new DomainRuleGroup();
  readonly #values: (readonly string[])[] = [];

  /** A table of `entries`, matched in the order 4.34 builds it (keys sorted). */
  constructor(entries: readonly HostsEntry[]) {
    const sorted = [...entries].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
    for (const e of sorted) {
      const rule = parseDomainRule(e.rule, "full");
      if ("error" in rule) continue;
      // As 4.34: a lone 127.0.0.1 also answers AAAA queries with ::1.
      const values = e.values.length === 1 && e.values[0] === "127.0.0.1"
        ? ["127.0.0.1", "::1"]
        : e.values;
      this.#group.add(rule, this.#values.length);
      this.#values.push(values);
    }
  }

  /** What the table has for `name` in `family`; "ips" may be empty (recorded, other family). */
  lookup(name: string, family: IpFamily, depth = MAX_DEPTH): HostsAnswer {
    const found = this.#group.match(name).flatMap((id) => this.#values[id]);
    if (found.length === 0) return { kind: "none" };
    if (found.length === 1 && addressKind(found[0]) === "domain") {
      if (depth > 0) {
        const next = this.lookup(found[0], family, depth - 1);
        if (next.kind !== "none") return next;
      }
      return { kind: "domain", domain: found[0] };
    }
    return { kind: "ips", ips: found.filter((a) => inFamily(a, family)) };
  }
}
