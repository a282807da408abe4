/** Merging several config files, later over earlier, as V2Ray does with several -config flags. */

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function mergeValue(a: Json, b: Json, key: string): Json {
  if (isObject(a) && isObject(b)) return mergeObjects(a, b);
  // inbounds/outbounds merge by tag: a later entry with the same tag overrides key by key.
  if ((key === "inbounds" || key === "outbounds") && Array.isArray(a) && Array.isArray(b)) {
    const out = [...a];
    for (const item of b) {
      const tag = isObject(item) ? item.tag : undefined;
      const i = typeof tag === "string" ? out.findIndex((x) => isObject(x) && x.tag === tag) : -1;
      if (i >= 0) out[i] = mergeValue(out[i], item, "");
      else out.push(item);
    }
    return out;
  }
  return b;
}

function mergeObjects(a: Record<string, Json>, b: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in a ? mergeValue(a[k], v, k) : v;
  return out;
}

/**
 * Merges parsed configs in order: objects key by key, `inbounds`/`outbounds` entries by `tag`
 * (untagged ones are appended), any other value replaced by the later one.
 */
export function mergeConfigs(configs: readonly Json[]): Json {
  return configs.reduce((acc, c) => mergeValue(acc, c, ""), {});
}
