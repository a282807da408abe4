/**
 * A set of V2Ray domain patterns for fast matching: exact names in one hash set, `domain:` names
 * in another probed once per label suffix of the query (so cost grows with the query's labels,
 * not with the list), then keywords and regular expressions, which only geosite lists have many of.
 */
import type { DomainPattern } from "../geo/mod.ts";

/** An immutable set of domain patterns. */
export class DomainSet {
  readonly #full = new Set<string>();
  readonly #suffix = new Set<string>();
  readonly #keywords: string[] = [];
  readonly #regexes: RegExp[] = [];

  /**
   * The union of `patterns`. Names and keywords match case-insensitively; a regular expression is
   * tested on the name as given. Throws SyntaxError on an invalid regular expression.
   */
  constructor(patterns: Iterable<DomainPattern>) {
    for (const p of patterns) {
      switch (p.kind) {
        case "full":
          this.#full.add(p.value.toLowerCase());
          break;
        case "domain":
          this.#suffix.add(p.value.toLowerCase());
          break;
        case "plain":
          this.#keywords.push(p.value.toLowerCase());
          break;
        case "regex":
          this.#regexes.push(new RegExp(p.value));
          break;
      }
    }
  }

  /** Whether no pattern was given. */
  get empty(): boolean {
    return this.#full.size + this.#suffix.size + this.#keywords.length + this.#regexes.length === 0;
  }

  /** Whether `domain` matches any pattern. */
  has(domain: string): boolean {
    const d = domain.toLowerCase();
    if (this.#full.has(d)) return true;
    if (this.#suffix.size > 0) {
      if (this.#suffix.has(d)) return true;
      for (let i = d.indexOf("."); i >= 0; i = d.indexOf(".", i + 1)) {
        if (this.#suffix.has(d.slice(i + 1))) return true;
      }
    }
    for (const k of this.#keywords) if (d.includes(k)) return true;
    for (const r of this.#regexes) if (r.test(domain)) return true;
    return false;
  }
}
