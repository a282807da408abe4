/**
 * A set of CIDR blocks for fast membership: the blocks become merged, sorted address ranges (IPv4
 * as 32-bit numbers, IPv6 as four 32-bit words) searched by bisection, so a lookup in 10,000
 * blocks costs ~14 comparisons.
 */
import type { Cidr } from "../core/cidr.ts";

type Words = readonly number[];

function words(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    out.push(((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0);
  }
  return out;
}

// First and last address of a block, as words.
function bounds(c: Cidr): [Words, Words] {
  const base = words(c.bytes);
  const lo: number[] = [], hi: number[] = [];
  for (let w = 0; w < base.length; w++) {
    const bits = Math.min(32, Math.max(0, c.prefix - w * 32));
    const mask = bits === 0 ? 0 : (0xffff_ffff << (32 - bits)) >>> 0;
    lo.push((base[w] & mask) >>> 0);
    hi.push((base[w] | ~mask) >>> 0);
  }
  return [lo, hi];
}

function compare(a: Words, b: Words): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

// a + 1 would equal b (adjacent ranges merge), without overflowing the last word.
function isSuccessor(a: Words, b: Words): boolean {
  const next = [...a];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] !== 0xffff_ffff) {
      next[i]++;
      return compare(next, b) === 0;
    }
    next[i] = 0;
  }
  return false;
}

/** Sorted, merged, non-adjacent ranges of one address family, flattened word by word. */
class Ranges {
  readonly #width: number;
  readonly #lo: Uint32Array;
  readonly #hi: Uint32Array;
  readonly count: number;

  constructor(width: number, blocks: readonly Cidr[]) {
    const spans = blocks.map(bounds).sort((x, y) => compare(x[0], y[0]));
    const merged: [Words, Words][] = [];
    for (const [lo, hi] of spans) {
      const last = merged[merged.length - 1];
      if (last && (compare(lo, last[1]) <= 0 || isSuccessor(last[1], lo))) {
        if (compare(hi, last[1]) > 0) last[1] = hi;
      } else merged.push([lo, hi]);
    }
    this.#width = width;
    this.count = merged.length;
    this.#lo = new Uint32Array(merged.flatMap((m) => m[0]));
    this.#hi = new Uint32Array(merged.flatMap((m) => m[1]));
  }

  #cmp(arr: Uint32Array, index: number, ip: Words): number {
    const base = index * this.#width;
    for (let i = 0; i < this.#width; i++) {
      const v = arr[base + i];
      if (v !== ip[i]) return v < ip[i] ? -1 : 1;
    }
    return 0;
  }

  has(ip: Words): boolean {
    // The last range starting at or before ip, then whether it reaches ip.
    let lo = 0, hi = this.count - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cmp(this.#lo, mid, ip) <= 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && this.#cmp(this.#hi, found, ip) >= 0;
  }
}

/** An immutable set of IPv4 and IPv6 blocks. */
export class IpSet {
  readonly #v4: Ranges;
  readonly #v6: Ranges;

  /** The union of `blocks` (4- and 16-byte ones; others are ignored). */
  constructor(blocks: Iterable<Cidr>) {
    const all = [...blocks];
    this.#v4 = new Ranges(1, all.filter((c) => c.bytes.length === 4));
    this.#v6 = new Ranges(4, all.filter((c) => c.bytes.length === 16));
  }

  /** Merged ranges held (IPv4 plus IPv6): what the blocks collapsed to. */
  get size(): number {
    return this.#v4.count + this.#v6.count;
  }

  /** Whether address bytes `ip` (4 or 16) lie in a block; IPv4 never matches an IPv6 block. */
  has(ip: Uint8Array): boolean {
    if (ip.length === 4) return this.#v4.has(words(ip));
    if (ip.length === 16) return this.#v6.has(words(ip));
    return false;
  }
}
