/**
 * What a reload does with each inbound: the running inbounds' configs against the new config's,
 * matched by how they listen (kept listeners) and by name (kept state).
 */
import type { InboundConfig } from "../config/mod.ts";

/** The steps of a reload for the inbounds, by index in the old and the new config. */
export interface InboundPlan {
  /** [new, old]: listens alike, so the new inbound takes over the old one's listeners. */
  readonly keep: ReadonlyArray<readonly [number, number]>;
  /** [new, old]: the same inbound by tag (or place, untagged) or by listeners: state carries. */
  readonly inherit: ReadonlyArray<readonly [number, number]>;
  /** New inbounds that bind listeners of their own. */
  readonly bind: readonly number[];
  /** Old inbounds (removed, or listening otherwise now) that stop accepting. */
  readonly retire: readonly number[];
  /** Of `retire`, those whose ports a new inbound may need: they stop before the binds. */
  readonly retireFirst: readonly number[];
}

/** JSON with object keys sorted (and bytes as arrays), so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify([...value]);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * What decides an inbound's listeners: protocol, address, ports, stream settings, dynamic-port
 * allocation, and dokodemo-door's networks (its UDP sockets). Everything else (users, accounts,
 * sniffing, levels, destination) may change under the same listeners.
 */
export function listenIdentity(ib: InboundConfig): string {
  return canonicalJson({
    protocol: ib.protocol,
    listen: ib.listen,
    port: ib.port,
    stream: ib.stream,
    allocate: ib.allocate,
    network: ib.protocol === "dokodemo-door" ? ib.settings.network : undefined,
  });
}

/** The key of an inbound's state (as in the state file): its tag, else its place. */
export function stateKey(ib: InboundConfig, index: number): string {
  return ib.tag !== undefined && ib.tag !== "" ? `tag:${ib.tag}` : `index:${index}`;
}

function overlaps(a: InboundConfig, b: InboundConfig): boolean {
  // Port 0 is a fresh port from the OS each time: it meets no other.
  if (a.port.from === 0 || b.port.from === 0) return false;
  return a.port.from <= b.port.to && b.port.from <= a.port.to;
}

/**
 * The plan from the inbounds of `before` to those of `after`. Listeners go first to the same
 * inbound (tag, or place when untagged) if it listens alike, then to any inbound listening alike
 * on the same fixed ports (a renamed one); one on port 0 is only ever kept by its own inbound,
 * since a fresh "port 0" inbound is not the one that happened to get that port.
 */
export function planInbounds(
  before: readonly InboundConfig[],
  after: readonly InboundConfig[],
): InboundPlan {
  const ids = before.map(listenIdentity);
  const byKey = new Map(before.map((ib, i) => [stateKey(ib, i), i]));
  const taken = new Set<number>();
  const keepOf = new Map<number, number>();
  after.forEach((ib, n) => {
    const old = byKey.get(stateKey(ib, n));
    if (old !== undefined && ids[old] === listenIdentity(ib)) {
      keepOf.set(n, old);
      taken.add(old);
    }
  });
  after.forEach((ib, n) => {
    if (keepOf.has(n) || ib.port.from === 0) return;
    const id = listenIdentity(ib);
    const old = ids.findIndex((o, i) => o === id && !taken.has(i));
    if (old < 0) return;
    keepOf.set(n, old);
    taken.add(old);
  });
  const keep: [number, number][] = [...keepOf].sort(([a], [b]) => a - b);
  const bind = after.map((_, n) => n).filter((n) => !keepOf.has(n));
  const retire = before.map((_, i) => i).filter((i) => !taken.has(i));
  const retireFirst = retire.filter((o) => bind.some((n) => overlaps(before[o], after[n])));
  const inherit: [number, number][] = [];
  after.forEach((ib, n) => {
    const old = byKey.get(stateKey(ib, n)) ?? keep.find(([k]) => k === n)?.[1];
    if (old !== undefined) inherit.push([n, old]);
  });
  return { keep, inherit, bind, retire, retireFirst };
}
