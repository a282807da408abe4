/**
 * Merging several config files, later over earlier. "v2ray" is V2Ray 4.34's Config.Override: a
 * later file replaces whole sections; its `inbounds` / `outbounds` replace the list, except that a
 * list of exactly one entry replaces the entry with the same tag, or else is appended (an inbound)
 * or prepended (an outbound; appended when the file name contains "tail"). "deep" is ours: objects
 * merge key by key and entries of `inbounds` / `outbounds` merge by tag.
 */
import { type ConfigIssue, configWarning } from "./issues.ts";

type Json = unknown;

/** How several config files combine. */
export const MERGE_MODES = ["v2ray", "deep"] as const;
/** How several config files combine: V2Ray 4.34's way, or ours key by key. */
export type MergeMode = (typeof MERGE_MODES)[number];

/** One parsed config file and its name (the name matters to V2Ray's "tail" rule). */
export interface NamedConfig {
  /** The file name as given. */
  readonly name: string;
  /** Its parsed JSON (keys already in the schema's spelling). */
  readonly value: Json;
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// Sections 4.34's Override copies from a later file when they are present (and not null).
const REPLACED = [
  "log",
  "routing",
  "dns",
  "transport",
  "policy",
  "api",
  "stats",
  "reverse",
  "inbound",
  "outbound",
  "inboundDetour",
  "outboundDetour",
];

function tagOf(entry: Json): string {
  return isObject(entry) && typeof entry.tag === "string" ? entry.tag : "";
}

function overrideList(
  base: Json,
  over: Json[],
  prepend: boolean,
): Json[] {
  const list = Array.isArray(base) ? base : [];
  if (list.length === 0 || over.length !== 1) return over;
  const i = list.findIndex((e) => tagOf(e) === tagOf(over[0]));
  if (i >= 0) return list.map((e, j) => j === i ? over[0] : e);
  return prepend ? [over[0], ...list] : [...list, over[0]];
}

function mergeV2Ray(configs: readonly NamedConfig[], issues: ConfigIssue[]): Json {
  if (configs.length === 0) return {};
  const out: Record<string, Json> = isObject(configs[0].value) ? { ...configs[0].value } : {};
  for (const { name, value } of configs.slice(1)) {
    if (!isObject(value)) continue;
    for (const [key, v] of Object.entries(value)) {
      if (REPLACED.includes(key)) {
        if (v !== null) out[key] = v;
      } else if (key === "inbounds" || key === "outbounds") {
        if (Array.isArray(v) && v.length > 0) {
          const prepend = key === "outbounds" && !name.toLowerCase().includes("tail");
          out[key] = overrideList(out[key], v, prepend);
        }
      } else {
        issues.push({
          ...configWarning(
            [key],
            "not merged: V2Ray 4.34 takes only its known sections from a later file",
          ),
          file: name,
        });
      }
    }
  }
  return out;
}

function deepValue(a: Json, b: Json, key: string): Json {
  if (isObject(a) && isObject(b)) return deepObjects(a, b);
  if ((key === "inbounds" || key === "outbounds") && Array.isArray(a) && Array.isArray(b)) {
    const out = [...a];
    for (const item of b) {
      const tag = isObject(item) ? item.tag : undefined;
      const i = typeof tag === "string" ? out.findIndex((x) => isObject(x) && x.tag === tag) : -1;
      if (i >= 0) out[i] = deepValue(out[i], item, "");
      else out.push(item);
    }
    return out;
  }
  return b;
}

function deepObjects(a: Record<string, Json>, b: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in a ? deepValue(a[k], v, k) : v;
  return out;
}

/** Merges parsed configs in order by `mode`; issues are warnings about what did not merge. */
export function mergeConfigs(
  configs: readonly NamedConfig[],
  mode: MergeMode = "v2ray",
): { value: Json; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const value = mode === "v2ray"
    ? mergeV2Ray(configs, issues)
    : configs.reduce<Json>((acc, c) => deepValue(acc, c.value, ""), {});
  return { value, issues };
}
