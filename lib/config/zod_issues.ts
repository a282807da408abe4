/** Turning zod's issues into ConfigIssues; unknown keys become warnings rather than failures. */
import type { z } from "zod";
import { configError, type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";
import { knownKeysAt, normaliseKeys } from "./key_case.ts";
import { type EnumRule, normaliseEnums } from "./enum_values.ts";
import { closest } from "./suggest.ts";

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

// Our wording of zod's issues. Passed as the per-parse error map, it yields to a message the schema
// gives itself (`z.literal("none", { error: "… is not supported" })`).
function defaultMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined
        ? "is required"
        : `expected ${issue.expected === "object" ? "an object" : issue.expected}, got ${
          typeName(issue.input)
        }`;
    case "too_big":
      return issue.origin === "array"
        ? `at most ${issue.maximum} entries`
        : `must be at most ${issue.maximum}, got ${JSON.stringify(issue.input)}`;
    case "too_small":
      return issue.origin === "array"
        ? `at least ${issue.minimum} entries`
        : `must be at least ${issue.minimum}, got ${JSON.stringify(issue.input)}`;
    case "invalid_value":
      return `${JSON.stringify(issue.input)} is not one of ${
        issue.values.map((v) => JSON.stringify(v)).join(", ")
      }`;
    case "invalid_union":
      return issue.input === undefined
        ? "is required"
        : `${JSON.stringify(issue.input)} is not a valid value`;
    default:
      return undefined;
  }
}

function dropKeys(data: unknown, path: PropertyKey[], keys: string[]): void {
  let node = data as Record<PropertyKey, unknown> | undefined;
  for (const p of path) node = node?.[p] as Record<PropertyKey, unknown> | undefined;
  if (node && typeof node === "object") { for (const k of keys) delete node[k]; }
}

function unknownKey(schema: z.ZodType, at: JsonPath, key: string): string {
  const guess = closest(key, knownKeysAt(schema, at));
  return guess === undefined
    ? "unknown key, ignored"
    : `unknown key, ignored; did you mean "${guess}"?`;
}

/**
 * Parses `data` with `schema`, keys and `enums` values read as V2Ray 4.34 reads them first. Keys
 * the schema does not know are warned about (with the likeliest intended key) and dropped, so the
 * result is typed; every other problem is an error. Paths are prefixed with `prefix`.
 */
export function parseSection<S extends z.ZodType>(
  schema: S,
  data: unknown,
  prefix: JsonPath,
  enums: readonly EnumRule[] = [],
): { value?: z.output<S>; issues: ConfigIssue[] } {
  const keyed = normaliseKeys(
    schema,
    data === undefined ? undefined : structuredClone(data),
    prefix,
  );
  const issues: ConfigIssue[] = [...keyed.issues];
  let input = keyed.value;
  issues.push(...normaliseEnums(input, enums, prefix));
  for (let attempt = 0; attempt < 8; attempt++) {
    const r = schema.safeParse(input, { reportInput: true, error: defaultMessage });
    if (r.success) return { value: r.data, issues };
    const unknown = r.error.issues.filter((i) => i.code === "unrecognized_keys");
    const other = r.error.issues.filter((i) => i.code !== "unrecognized_keys");
    for (const u of unknown) {
      for (const k of u.keys) {
        const at = u.path as JsonPath;
        issues.push(configWarning([...prefix, ...at, k], unknownKey(schema, at, k)));
      }
      dropKeys(input, u.path, u.keys);
    }
    if (other.length > 0) {
      for (const i of other) {
        issues.push(configError([...prefix, ...i.path as JsonPath], i.message));
      }
      return { issues };
    }
    input = structuredClone(input);
  }
  issues.push(configError(prefix, "could not be validated"));
  return { issues };
}
