/**
 * Evaluating an attrs expression against a connection's attributes, with Starlark's semantics for
 * what rules use: strings and their methods, `in`, comparisons, `and`/`or`/`not`, `len`, `str`.
 * Any runtime error (a missing key, a type mismatch) makes the rule not match, as in V2Ray 4.34.
 */
import type { BinaryOp, Expr } from "./parse.ts";

/** A value during evaluation. */
type Value =
  | string
  | number
  | boolean
  | null
  | readonly Value[]
  | ReadonlyMap<string, string>
  | Builtin;

/** A function value: a builtin or a method bound to its receiver. */
class Builtin {
  constructor(readonly name: string, readonly call: (args: Value[]) => Value) {}
}

class EvalError extends Error {}

function fail(message: string): never {
  throw new EvalError(message);
}

function truth(v: Value): boolean {
  if (v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

function typeOf(v: Value): string {
  if (v === null) return "NoneType";
  if (Array.isArray(v)) return "list";
  if (v instanceof Map) return "dict";
  if (v instanceof Builtin) return "builtin_function_or_method";
  return typeof v === "number" ? "int" : typeof v === "boolean" ? "bool" : "string";
}

function str(v: Value): string {
  if (typeof v === "string") return v;
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (Array.isArray(v)) {
    return `[${v.map((x) => typeof x === "string" ? JSON.stringify(x) : str(x)).join(", ")}]`;
  }
  if (v instanceof Map) {
    return `{${[...v].map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(", ")}}`;
  }
  if (v instanceof Builtin) return `<built-in ${v.name}>`;
  return String(v);
}

function equal(a: Value, b: Value): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (a instanceof Map && b instanceof Map) {
    return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  }
  return a === b;
}

function order(a: Value, b: Value): number {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return fail(`cannot compare ${typeOf(a)} with ${typeOf(b)}`);
}

function contains(container: Value, x: Value): boolean {
  if (typeof container === "string") {
    if (typeof x !== "string") fail(`'in <string>' needs a string, not ${typeOf(x)}`);
    return container.includes(x);
  }
  if (Array.isArray(container)) return container.some((v) => equal(v, x));
  if (container instanceof Map) return typeof x === "string" && container.has(x);
  return fail(`'in' needs a string, list or dict, not ${typeOf(container)}`);
}

function strArg(args: Value[], i: number, name: string): string {
  const v = args[i];
  if (typeof v !== "string") fail(`${name}: argument ${i + 1} must be a string`);
  return v;
}

// Strings or a tuple of strings, as startswith/endswith take.
function affixes(args: Value[], name: string): string[] {
  if (args.length !== 1) fail(`${name}: takes one argument`);
  const a = args[0];
  if (typeof a === "string") return [a];
  if (Array.isArray(a) && a.every((x) => typeof x === "string")) return a as string[];
  return fail(`${name}: needs a string or a tuple of strings`);
}

function noArgs(args: Value[], name: string): void {
  if (args.length !== 0) fail(`${name}: takes no arguments`);
}

function stringMethod(s: string, name: string): Builtin {
  const m = (f: (args: Value[]) => Value) => new Builtin(name, f);
  switch (name) {
    case "startswith":
      return m((a) => affixes(a, name).some((p) => s.startsWith(p)));
    case "endswith":
      return m((a) => affixes(a, name).some((p) => s.endsWith(p)));
    case "lower":
      return m((a) => (noArgs(a, name), s.toLowerCase()));
    case "upper":
      return m((a) => (noArgs(a, name), s.toUpperCase()));
    case "strip":
      return m((a) => (noArgs(a, name), s.trim()));
    case "lstrip":
      return m((a) => (noArgs(a, name), s.trimStart()));
    case "rstrip":
      return m((a) => (noArgs(a, name), s.trimEnd()));
    case "find":
      return m((a) => s.indexOf(strArg(a, 0, name)));
    case "count":
      return m((a) => {
        const sub = strArg(a, 0, name);
        return sub === "" ? s.length + 1 : s.split(sub).length - 1;
      });
    case "replace":
      return m((a) => s.replaceAll(strArg(a, 0, name), strArg(a, 1, name)));
    case "split":
      return m((a) => {
        if (a.length === 0) return s.split(/\s+/).filter((x) => x !== "");
        const sep = strArg(a, 0, name);
        if (sep === "") fail("split: empty separator");
        return s.split(sep);
      });
    default:
      return fail(`string has no method ${name}`);
  }
}

function dictMethod(d: ReadonlyMap<string, string>, name: string): Builtin {
  switch (name) {
    case "get":
      return new Builtin(name, (a) => {
        if (a.length < 1 || a.length > 2) fail("get: takes one or two arguments");
        const v = typeof a[0] === "string" ? d.get(a[0]) : undefined;
        return v ?? (a.length === 2 ? a[1] : null);
      });
    case "keys":
      return new Builtin(name, (a) => (noArgs(a, name), [...d.keys()]));
    case "values":
      return new Builtin(name, (a) => (noArgs(a, name), [...d.values()]));
    default:
      return fail(`dict has no method ${name}`);
  }
}

const BUILTINS: Record<string, Builtin> = {
  len: new Builtin("len", (a) => {
    if (a.length !== 1) fail("len: takes one argument");
    const v = a[0];
    if (typeof v === "string" || Array.isArray(v)) return v.length;
    if (v instanceof Map) return v.size;
    return fail(`len: ${typeOf(v)} has no length`);
  }),
  str: new Builtin("str", (a) => {
    if (a.length !== 1) fail("str: takes one argument");
    return str(a[0]);
  }),
};

function binary(op: BinaryOp, l: Value, r: () => Value): Value {
  switch (op) {
    case "and":
      return truth(l) ? r() : l;
    case "or":
      return truth(l) ? l : r();
  }
  const rv = r();
  switch (op) {
    case "==":
      return equal(l, rv);
    case "!=":
      return !equal(l, rv);
    case "<":
      return order(l, rv) < 0;
    case "<=":
      return order(l, rv) <= 0;
    case ">":
      return order(l, rv) > 0;
    case ">=":
      return order(l, rv) >= 0;
    case "in":
      return contains(rv, l);
    case "not in":
      return !contains(rv, l);
    case "+":
      if (typeof l === "string" && typeof rv === "string") return l + rv;
      if (typeof l === "number" && typeof rv === "number") return l + rv;
      if (Array.isArray(l) && Array.isArray(rv)) return [...l, ...rv];
      return fail(`cannot add ${typeOf(l)} and ${typeOf(rv)}`);
    case "-":
      if (typeof l === "number" && typeof rv === "number") return l - rv;
      return fail(`cannot subtract ${typeOf(rv)} from ${typeOf(l)}`);
  }
}

function evaluate(e: Expr, attrs: ReadonlyMap<string, string>): Value {
  switch (e.t) {
    case "lit":
      return e.v;
    case "name":
      if (e.name === "attrs") return attrs;
      return BUILTINS[e.name] ?? fail(`undefined: ${e.name}`);
    case "list":
      return e.items.map((x) => evaluate(x, attrs));
    case "index": {
      const obj = evaluate(e.obj, attrs), key = evaluate(e.key, attrs);
      if (obj instanceof Map) {
        const v = typeof key === "string" ? obj.get(key) : undefined;
        return v ?? fail(`key ${str(key)} not in dict`);
      }
      if (typeof obj === "string" || Array.isArray(obj)) {
        if (typeof key !== "number") fail("index must be an int");
        const i = key < 0 ? obj.length + key : key;
        if (i < 0 || i >= obj.length) fail("index out of range");
        return obj[i];
      }
      return fail(`${typeOf(obj)} is not indexable`);
    }
    case "attr": {
      const obj = evaluate(e.obj, attrs);
      if (typeof obj === "string") return stringMethod(obj, e.name);
      if (obj instanceof Map) return dictMethod(obj, e.name);
      return fail(`${typeOf(obj)} has no attribute ${e.name}`);
    }
    case "call": {
      const fn = evaluate(e.fn, attrs);
      if (!(fn instanceof Builtin)) fail(`${typeOf(fn)} is not callable`);
      return fn.call(e.args.map((x) => evaluate(x, attrs)));
    }
    case "not":
      return !truth(evaluate(e.x, attrs));
    case "neg": {
      const v = evaluate(e.x, attrs);
      return typeof v === "number" ? -v : fail(`cannot negate ${typeOf(v)}`);
    }
    case "bin":
      return binary(e.op, evaluate(e.l, attrs), () => evaluate(e.r, attrs));
    case "cond":
      return truth(evaluate(e.test, attrs)) ? evaluate(e.then, attrs) : evaluate(e.else, attrs);
  }
}

/** Whether `e` is true for `attrs`; false when evaluating it fails (as 4.34). */
export function satisfied(e: Expr, attrs: ReadonlyMap<string, string>): boolean {
  try {
    return truth(evaluate(e, attrs));
  } catch (err) {
    if (err instanceof EvalError) return false;
    throw err;
  }
}
