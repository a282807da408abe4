/** Tokens of the attrs expression language (the Starlark expressions V2Ray 4.34 evaluates). */
import { DenorayError } from "../core/errors.ts";

/** A rule's attrs expression that does not parse. */
export class AttrsSyntaxError extends DenorayError {
  /** A syntax error at character `at` of the expression. */
  constructor(message: string, at: number) {
    super("attrs-syntax", `${message} at character ${at + 1}`);
  }
}

/** One token: a name or keyword, a literal, or punctuation. */
export type Token =
  | { readonly kind: "name"; readonly text: string; readonly at: number }
  | { readonly kind: "string"; readonly value: string; readonly at: number }
  | { readonly kind: "int"; readonly value: number; readonly at: number }
  | { readonly kind: "op"; readonly text: string; readonly at: number }
  | { readonly kind: "end"; readonly at: number };

const OPS = ["==", "!=", "<=", ">=", "<", ">", "+", "-", "(", ")", "[", "]", ",", ".", ":"];
const ESCAPES: Record<string, string> = {
  "n": "\n",
  "t": "\t",
  "r": "\r",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "0": "\0",
};

function readString(src: string, at: number): { value: string; next: number } {
  const quote = src[at];
  let value = "";
  for (let i = at + 1; i < src.length; i++) {
    const c = src[i];
    if (c === quote) return { value, next: i + 1 };
    if (c === "\n") break;
    if (c === "\\") {
      const e = ESCAPES[src[i + 1]];
      if (e === undefined) throw new AttrsSyntaxError("unknown escape in string", i);
      value += e;
      i++;
    } else value += c;
  }
  throw new AttrsSyntaxError("unterminated string", at);
}

/** The tokens of `src`, ending with an "end" token. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < src.length;) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "'" || c === '"') {
      const s = readString(src, i);
      out.push({ kind: "string", value: s.value, at: i });
      i = s.next;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+/.exec(src.slice(i))![0];
      out.push({ kind: "int", value: Number(m), at: i });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      out.push({ kind: "name", text: m, at: i });
      i += m.length;
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) throw new AttrsSyntaxError(`unexpected ${JSON.stringify(c)}`, i);
      out.push({ kind: "op", text: op, at: i });
      i += op.length;
    }
  }
  out.push({ kind: "end", at: src.length });
  return out;
}
