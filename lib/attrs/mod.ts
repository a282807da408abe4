/**
 * The `attrs` condition of routing rules: a Starlark expression over the connection's attributes
 * (the HTTP inbound's request method, path and headers), compiled once and evaluated per request.
 */
import { parseAttrs } from "./parse.ts";
import { satisfied } from "./eval.ts";

export { AttrsSyntaxError } from "./lexer.ts";

/** A compiled attrs condition. */
export type AttrsPredicate = (attrs: ReadonlyMap<string, string>) => boolean;

/** Compiles `code`; throws AttrsSyntaxError when it is not a valid expression. */
export function compileAttrs(code: string): AttrsPredicate {
  const expr = parseAttrs(code);
  return (attrs) => satisfied(expr, attrs);
}
