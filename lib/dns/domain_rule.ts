/**
 * Domain rules as V2Ray 4.34's DNS reads them (`servers[].domains`, `hosts` keys), and a group that
 * reports every rule a name matches in 4.34's order: full names, then `domain:` suffixes from the
 * longest, then keywords and regular expressions in the order they were added.
 */

/** The kinds of domain rule. */
export const DOMAIN_RULE_KINDS = ["full", "domain", "keyword", "regex"] as const;

/** A kind of domain rule. */
export type DomainRuleKind = (typeof DOMAIN_RULE_KINDS)[number];

/** One domain rule. */
export interface DomainRule {
  /** How `value` is matched. */
  readonly kind: DomainRuleKind;
  /** The name, suffix, keyword or regular expression. */
  readonly value: string;
}

const PREFIXES: readonly [string, DomainRuleKind][] = [
  ["regexp:", "regex"],
  ["domain:", "domain"],
  ["full:", "full"],
  ["keyword:", "keyword"],
];

/**
 * The rule `text` spells, or an error message. A plain name is `plain` (a keyword in `domains`,
 * a full name in `hosts`, as in 4.34); `dotless:` becomes its regular expression.
 */
export function parseDomainRule(
  text: string,
  plain: "keyword" | "full",
): DomainRule | { readonly error: string } {
  if (/^(geosite|ext|ext-domain):/.test(text)) {
    return { error: `${JSON.stringify(text)}: geosite and ext lists are not supported in dns yet` };
  }
  if (text.startsWith("dotless:")) {
    const sub = text.slice(8);
    if (sub.includes(".")) return { error: `${JSON.stringify(text)}: dotless: takes no dot` };
    const value = `^[^.]*${sub.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}[^.]*$`;
    return { kind: "regex", value };
  }
  for (const [prefix, kind] of PREFIXES) {
    if (!text.startsWith(prefix)) continue;
    const value = text.slice(prefix.length);
    if (value === "") return { error: `${JSON.stringify(text)}: empty ${prefix} rule` };
    if (kind === "regex") {
      try {
        new RegExp(value);
      } catch {
        return { error: `${JSON.stringify(text)} is not a valid regular expression` };
      }
    }
    return { kind, value };
  }
  if (text === "") return { error: "an empty rule" };
  return { kind: plain, value: text };
}

// Tested with the name in lower case and as given (regular expressions see it as given).
type Matcher = { readonly test: (lower: string, given: string) => boolean; readonly id: number };

/** Rules with ids; `match` lists the ids of every rule a name matches, in 4.34's order. */
export class DomainRuleGroup {
  readonly #full = new Map<string, number[]>();
  readonly #suffix = new Map<string, number[]>();
  readonly #others: Matcher[] = [];

  /** Adds `rule` under `id`. */
  add(rule: DomainRule, id: number): void {
    const v = rule.kind === "regex" ? rule.value : rule.value.toLowerCase();
    switch (rule.kind) {
      case "full":
        push(this.#full, v, id);
        break;
      case "domain":
        push(this.#suffix, v, id);
        break;
      case "keyword":
        this.#others.push({ test: (lower) => lower.includes(v), id });
        break;
      case "regex": {
        const re = new RegExp(v);
        this.#others.push({ test: (_, given) => re.test(given), id });
        break;
      }
    }
  }

  /** The ids of the rules `name` matches (case-insensitive but for regular expressions). */
  match(name: string): number[] {
    const d = name.toLowerCase();
    const out = [...(this.#full.get(d) ?? [])];
    // The longest matching suffix first: a more specific rule ranks higher.
    for (let i = 0;;) {
      out.push(...(this.#suffix.get(d.slice(i)) ?? []));
      const dot = d.indexOf(".", i);
      if (dot < 0) break;
      i = dot + 1;
    }
    for (const m of this.#others) if (m.test(d, name)) out.push(m.id);
    return out;
  }
}

function push(map: Map<string, number[]>, key: string, id: number): void {
  const list = map.get(key);
  if (list) list.push(id);
  else map.set(key, [id]);
}
