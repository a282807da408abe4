/**
 * Command-line flags the way Go's flag package reads them (so V2Ray's `-config x.json`,
 * `-test`, `-confdir=d` work) and the GNU way too (`--config x.json`, `--config=x.json`): one or
 * two dashes, the value after `=` or in the next argument; a boolean flag takes no next argument
 * (`-test=false` sets it false). `--` ends the flags.
 */
import { DenorayError } from "../core/errors.ts";

/** The kinds of flag: on/off, one value (the last wins), or repeatable values. */
export const FLAG_KINDS = ["bool", "string", "list"] as const;
/** The kind of a flag. */
export type FlagKind = (typeof FLAG_KINDS)[number];

/** One flag a command takes. */
export interface FlagSpec {
  /** Its names without dashes, the canonical one first (e.g. ["config", "c"]). */
  readonly names: readonly string[];
  /** What it holds. */
  readonly kind: FlagKind;
  /** The value's placeholder in help (e.g. "FILE"). */
  readonly arg?: string;
  /** One line of help. */
  readonly help: string;
}

/** Parsed flags by canonical name, and the other arguments. */
export interface ParsedFlags {
  /** bool flags: true/false; string: the last value; list: every value in order. */
  readonly values: ReadonlyMap<string, boolean | string | readonly string[]>;
  /** Arguments that are not flags. */
  readonly positionals: readonly string[];
}

/** A command line that does not fit the command's flags. */
export class UsageError extends DenorayError {
  /** A usage problem described by `message`. */
  constructor(message: string) {
    super("usage", message);
  }
}

// Go's strconv.ParseBool.
const TRUE = ["1", "t", "T", "TRUE", "true", "True"];
const FALSE = ["0", "f", "F", "FALSE", "false", "False"];

/** Parses `args` against `specs`; throws UsageError for an unknown flag or a missing value. */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const values = new Map<string, boolean | string | readonly string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    // "-" alone is a value (standard input), as in Go.
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.slice(arg.startsWith("--") ? 2 : 1);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown flag: ${arg.split("=")[0]}`);
    const key = spec.names[0];
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (spec.kind === "bool") {
      if (inline === undefined || TRUE.includes(inline)) values.set(key, true);
      else if (FALSE.includes(inline)) values.set(key, false);
      else throw new UsageError(`invalid boolean value ${JSON.stringify(inline)} for -${name}`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: -${name}`);
      value = args[++i];
    }
    if (spec.kind === "string") values.set(key, value);
    else values.set(key, [...((values.get(key) as readonly string[] | undefined) ?? []), value]);
  }
  return { values, positionals };
}

/** Help lines for `specs`: `  -config, -c FILE   what it does`. */
export function flagHelp(specs: readonly FlagSpec[]): string[] {
  const heads = specs.map((s) =>
    s.names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(", ") +
    (s.arg ? ` ${s.arg}` : "")
  );
  const width = Math.max(0, ...heads.map((h) => h.length));
  return specs.map((s, i) => `  ${heads[i].padEnd(width)}  ${s.help}`);
}
