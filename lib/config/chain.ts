/** Checks of outbound chaining (`proxySettings.tag`): the tag must exist and chains must end. */
import { configError, type ConfigIssue, configWarning } from "./issues.ts";

/** The parts of an outbound that chaining checks look at. */
export interface ChainedOutbound {
  /** The outbound's tag. */
  readonly tag?: string;
  /** Its protocol (blackhole opens no connection, so a proxy does nothing there). */
  readonly protocol: string;
  /** V2Ray's proxySettings. */
  readonly proxySettings?: { readonly tag: string };
}

/**
 * Errors for a proxySettings.tag that names no outbound and for every outbound on a loop
 * (A → A, A → B → A); a warning for a blackhole's proxySettings, which nothing uses.
 */
export function chainIssues(outbounds: readonly ChainedOutbound[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const byTag = new Map<string, ChainedOutbound>();
  for (const ob of outbounds) if (ob.tag !== undefined && !byTag.has(ob.tag)) byTag.set(ob.tag, ob);
  outbounds.forEach((ob, i) => {
    const via = ob.proxySettings?.tag;
    if (via === undefined) return;
    const path = ["outbounds", i, "proxySettings", "tag"];
    if (!byTag.has(via)) {
      out.push(configError(path, `no outbound has tag ${JSON.stringify(via)}`));
      return;
    }
    if (ob.protocol === "blackhole") {
      out.push(configWarning(path, "has no effect: a blackhole outbound opens no connection"));
    }
    const loop = loopFrom(ob, byTag);
    if (loop) {
      out.push(
        configError(
          path,
          `outbound chain loops: ${loop.map((t) => JSON.stringify(t)).join(" → ")}`,
        ),
      );
    }
  });
  return out;
}

// The tags from `start` back to itself, or null when its chain ends (or loops elsewhere).
function loopFrom(
  start: ChainedOutbound,
  byTag: ReadonlyMap<string, ChainedOutbound>,
): string[] | null {
  if (start.tag === undefined || byTag.get(start.tag) !== start) return null;
  const seen = new Set<ChainedOutbound>([start]);
  const tags = [start.tag];
  let at = start;
  for (;;) {
    const via = at.proxySettings?.tag;
    const next = via === undefined ? undefined : byTag.get(via);
    if (next === undefined || via === undefined) return null;
    tags.push(via);
    if (next === start) return tags;
    if (seen.has(next)) return null;
    seen.add(next);
    at = next;
  }
}
