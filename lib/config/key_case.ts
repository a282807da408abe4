/**
 * JSON keys matched to a schema's fields the way Go's encoding/json (and so V2Ray) matches them:
 * an exact match first, else a case-insensitive one ("Port" is "port"), the later of two keys
 * that land on one field winning. Driven by the zod schema itself, so every section (and every
 * section added later) reads keys alike. Also: the keys a schema knows at a path, for "did you
 * mean" suggestions.
 */
import type { z } from "zod";
import { type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";

// The parts of zod's internal definition this walk reads (zod 4's `_zod.def`).
interface Def {
  readonly type: string;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly getter?: () => z.ZodType;
}

function defOf(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set([
  "optional",
  "default",
  "prefault",
  "nullable",
  "nonoptional",
  "catch",
  "readonly",
]);

/** The object, record and array schemas a value must fit, through wrappers, pipes and unions. */
function structural(s: z.ZodType, depth = 0): z.ZodType[] {
  if (depth > 32) return [];
  const d = defOf(s);
  if (WRAPPERS.has(d.type) && d.innerType) return structural(d.innerType, depth + 1);
  if (d.type === "pipe" && d.in) return structural(d.in, depth + 1);
  if (d.type === "lazy" && d.getter) return structural(d.getter(), depth + 1);
  if (d.type === "union" && d.options) return d.options.flatMap((o) => structural(o, depth + 1));
  return [s];
}

function shapeOf(candidates: readonly z.ZodType[]): Map<string, z.ZodType> {
  const shape = new Map<string, z.ZodType>();
  for (const c of candidates) {
    const d = defOf(c);
    if (d.type !== "object" || !d.shape) continue;
    for (const [k, v] of Object.entries(d.shape)) if (!shape.has(k)) shape.set(k, v);
  }
  return shape;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Go's case folding of a JSON key against ASCII field names (Kelvin sign and long s included). */
function fold(key: string): string {
  return key.toLowerCase().replaceAll("\u212a", "k").replaceAll("\u017f", "s");
}

function walk(s: z.ZodType, data: unknown, path: JsonPath, out: ConfigIssue[]): unknown {
  const candidates = structural(s);
  if (Array.isArray(data)) {
    const arrays = candidates.filter((c) => defOf(c).type === "array");
    if (arrays.length === 0) return data;
    const element = defOf(arrays[0]).element!;
    return data.map((v, i) => walk(element, v, [...path, i], out));
  }
  if (!isRecord(data)) return data;
  const shape = shapeOf(candidates);
  if (shape.size === 0) {
    // A record (map) keeps its keys as written, as Go's maps do.
    const record = candidates.find((c) => defOf(c).type === "record");
    if (!record) return data;
    const value = defOf(record).valueType!;
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, walk(value, v, [...path, k], out)]),
    );
  }
  const byFold = new Map<string, string>();
  for (const k of shape.keys()) if (!byFold.has(k.toLowerCase())) byFold.set(k.toLowerCase(), k);
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    let name = key;
    if (!shape.has(key)) {
      const field = byFold.get(fold(key));
      if (field !== undefined) {
        name = field;
        out.push(
          configWarning(
            [...path, key],
            `read as ${JSON.stringify(field)} (V2Ray matches keys ignoring case)`,
          ),
        );
      }
    }
    const child = shape.get(name);
    result[name] = child ? walk(child, value, [...path, name], out) : value;
  }
  return result;
}

/**
 * `data` with every object key the schema knows by another case renamed to the schema's
 * spelling, and a warning per renamed key (paths prefixed with `prefix`). Returns new objects.
 */
export function normaliseKeys(
  schema: z.ZodType,
  data: unknown,
  prefix: JsonPath,
): { value: unknown; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  return { value: walk(schema, data, prefix, issues), issues };
}

/** The field names the schema has for an object at `path` (relative to the schema). */
export function knownKeysAt(schema: z.ZodType, path: JsonPath): string[] {
  let candidates = structural(schema);
  for (const seg of path) {
    const next: z.ZodType[] = [];
    for (const c of candidates) {
      const d = defOf(c);
      if (typeof seg === "number" && d.type === "array" && d.element) next.push(d.element);
      if (typeof seg === "string" && d.type === "object" && d.shape?.[seg]) next.push(d.shape[seg]);
      if (typeof seg === "string" && d.type === "record" && d.valueType) next.push(d.valueType);
    }
    candidates = next.flatMap((n) => structural(n));
  }
  return [...shapeOf(candidates).keys()];
}
