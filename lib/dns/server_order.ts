/** Which servers a name is asked of, and in what order, as V2Ray 4.34's DNS sorts them. */
import { type DomainRule, DomainRuleGroup } from "./domain_rule.ts";

/**
 * V2Ray 4.34 sends names under these to a "localhost" server first: dotless names and the
 * special-use and home-network suffixes.
 */
export const LOCAL_NAME_RULES: readonly DomainRule[] = [
  { kind: "regex", value: "^[^.]+$" },
  ...["local", "localdomain", "localhost", "lan", "home.arpa", "example", "invalid", "test"].map(
    (value) => ({ kind: "domain" as const, value }),
  ),
];

/** Every server's `domains` rules, able to order the servers for a name. */
export class ServerOrder {
  readonly #group = new DomainRuleGroup();
  readonly #serverOf: number[] = [];
  readonly #count: number;

  /** `rules[i]` are server i's domain rules. */
  constructor(rules: readonly (readonly DomainRule[])[]) {
    this.#count = rules.length;
    rules.forEach((list, server) => {
      for (const r of list) {
        this.#group.add(r, this.#serverOf.length);
        this.#serverOf.push(server);
      }
    });
  }

  /** Server indexes for `name`: those whose rules match it (in match order), then the rest. */
  order(name: string): number[] {
    const used = new Set<number>();
    const out: number[] = [];
    for (const id of this.#group.match(name)) {
      const s = this.#serverOf[id];
      if (!used.has(s)) {
        used.add(s);
        out.push(s);
      }
    }
    for (let s = 0; s < this.#count; s++) if (!used.has(s)) out.push(s);
    return out;
  }
}
