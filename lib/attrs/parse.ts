/** A parser for the attrs expression language: Starlark's expression grammar, less what rules never need. */
import { AttrsSyntaxError, type Token, tokenize } from "./lexer.ts";

/** Binary operators. */
export type BinaryOp =
  | "and"
  | "or"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "in"
  | "not in"
  | "+"
  | "-";

/** A parsed expression. */
export type Expr =
  | { readonly t: "lit"; readonly v: string | number | boolean | null }
  | { readonly t: "name"; readonly name: string }
  | { readonly t: "list"; readonly items: readonly Expr[] }
  | { readonly t: "index"; readonly obj: Expr; readonly key: Expr }
  | { readonly t: "attr"; readonly obj: Expr; readonly name: string }
  | { readonly t: "call"; readonly fn: Expr; readonly args: readonly Expr[] }
  | { readonly t: "not"; readonly x: Expr }
  | { readonly t: "neg"; readonly x: Expr }
  | { readonly t: "bin"; readonly op: BinaryOp; readonly l: Expr; readonly r: Expr }
  | { readonly t: "cond"; readonly test: Expr; readonly then: Expr; readonly else: Expr };

const KEYWORDS = new Set(["and", "or", "not", "in", "if", "else", "True", "False", "None"]);
const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">="]);
// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH = 64;

class Parser {
  #i = 0;
  #depth = 0;
  constructor(readonly tokens: Token[]) {}

  get #tok(): Token {
    return this.tokens[this.#i];
  }

  #is(text: string): boolean {
    const t = this.#tok;
    return (t.kind === "op" || t.kind === "name") && t.text === text;
  }

  #take(text: string): boolean {
    if (!this.#is(text)) return false;
    this.#i++;
    return true;
  }

  #expect(text: string): void {
    if (!this.#take(text)) this.#fail(`expected ${JSON.stringify(text)}`);
  }

  #fail(message: string): never {
    const t = this.#tok;
    throw new AttrsSyntaxError(t.kind === "end" ? `${message}, found the end` : message, t.at);
  }

  whole(): Expr {
    const e = this.test();
    if (this.#tok.kind !== "end") this.#fail("unexpected token");
    return e;
  }

  // Runs one level of nesting, refusing more than MAX_DEPTH.
  #nest(f: () => Expr): Expr {
    if (++this.#depth > MAX_DEPTH) this.#fail("expression nested too deeply");
    const e = f();
    this.#depth--;
    return e;
  }

  test(): Expr {
    return this.#nest(() => {
      const x = this.#or();
      if (!this.#take("if")) return x;
      const test = this.#or();
      this.#expect("else");
      return { t: "cond", test, then: x, else: this.test() };
    });
  }

  #or(): Expr {
    let l = this.#and();
    while (this.#take("or")) l = { t: "bin", op: "or", l, r: this.#and() };
    return l;
  }

  #and(): Expr {
    let l = this.#not();
    while (this.#take("and")) l = { t: "bin", op: "and", l, r: this.#not() };
    return l;
  }

  #not(): Expr {
    if (this.#take("not")) return this.#nest(() => ({ t: "not", x: this.#not() }));
    return this.#comparison();
  }

  // Starlark's comparisons do not chain: `a < b < c` is a syntax error.
  #comparison(): Expr {
    const l = this.#sum();
    const t = this.#tok;
    let op: BinaryOp | null = null;
    if (t.kind === "op" && COMPARISONS.has(t.text)) op = t.text as BinaryOp;
    else if (this.#is("in")) op = "in";
    else if (this.#is("not") && this.tokens[this.#i + 1]?.kind === "name") {
      const next = this.tokens[this.#i + 1] as { text: string };
      if (next.text === "in") op = "not in";
    }
    if (op === null) return l;
    this.#i += op === "not in" ? 2 : 1;
    const r = this.#sum();
    const after = this.#tok;
    if (
      (after.kind === "op" && COMPARISONS.has(after.text)) || this.#is("in")
    ) this.#fail("comparisons do not chain");
    return { t: "bin", op, l, r };
  }

  #sum(): Expr {
    let l = this.#unary();
    for (;;) {
      if (this.#take("+")) l = { t: "bin", op: "+", l, r: this.#unary() };
      else if (this.#take("-")) l = { t: "bin", op: "-", l, r: this.#unary() };
      else return l;
    }
  }

  #unary(): Expr {
    if (this.#take("-")) return this.#nest(() => ({ t: "neg", x: this.#unary() }));
    if (this.#take("+")) return this.#nest(() => this.#unary());
    return this.#postfix(this.#operand());
  }

  #postfix(x: Expr): Expr {
    for (;;) {
      if (this.#take(".")) {
        const t = this.#tok;
        if (t.kind !== "name" || KEYWORDS.has(t.text)) this.#fail("expected a method name");
        this.#i++;
        x = { t: "attr", obj: x, name: t.text };
      } else if (this.#take("[")) {
        const key = this.test();
        this.#expect("]");
        x = { t: "index", obj: x, key };
      } else if (this.#take("(")) {
        x = { t: "call", fn: x, args: this.#items(")") };
      } else return x;
    }
  }

  // Comma-separated expressions up to `close` (a trailing comma allowed).
  #items(close: string): Expr[] {
    const items: Expr[] = [];
    while (!this.#take(close)) {
      items.push(this.test());
      if (!this.#take(",")) {
        this.#expect(close);
        break;
      }
    }
    return items;
  }

  #operand(): Expr {
    const t = this.#tok;
    if (t.kind === "string" || t.kind === "int") {
      this.#i++;
      // Adjacent string literals are not concatenated in Starlark.
      return { t: "lit", v: t.value };
    }
    if (t.kind === "name") {
      if (t.text === "True" || t.text === "False" || t.text === "None") {
        this.#i++;
        return { t: "lit", v: t.text === "None" ? null : t.text === "True" };
      }
      if (KEYWORDS.has(t.text)) this.#fail(`unexpected ${JSON.stringify(t.text)}`);
      this.#i++;
      return { t: "name", name: t.text };
    }
    if (this.#take("[")) return { t: "list", items: this.#items("]") };
    if (this.#take("(")) {
      if (this.#take(")")) return { t: "list", items: [] };
      const first = this.test();
      if (this.#take(")")) return first;
      this.#expect(",");
      return { t: "list", items: [first, ...this.#items(")")] };
    }
    this.#fail("expected a value");
  }
}

/** The syntax tree of `src`; AttrsSyntaxError when it is not a valid expression. */
export function parseAttrs(src: string): Expr {
  return new Parser(tokenize(src)).whole();
}
