/**
 * A set of CIDR blocks for fast membership: the blocks become merged, sorted address ranges (IPv4
 * as 32-bit numbers, IPv6 as four 32-bit words) searched by bisection, so a lookup in 10,000
 * blocks costs ~14 comparisons.
 */
import type { Cidr } from "../core/cidr.ts";

function word(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

function mask(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffff_ffff : (0xffff_ffff << (32 - bits)) >>> 0;
}

/** Merged IPv4 ranges: starts and ends as numbers, sorted. */
class V4Ranges {
  readonly #lo: Uint32Array;
  readonly #hi: Uint32Array;

  constructor(blocks: readonly Cidr[]) {
    const spans = blocks.map((c) => {
      const m = mask(c.prefix), base = word(c.bytes, 0);
      return [(base & m) >>> 0, (base | ~m) >>> 0] as const;
    }).sort((x, y) => x[0] - y[0]);
    const lo: number[] = [], hi: number[] = [];
    for (const [a, b] of spans) {
      const last = hi.length - 1;
      // Overlapping or adjacent: extend the previous range.
      if (last >= 0 && a <= hi[last] + 1) hi[last] = Math.max(hi[last], b);
      else {
        lo.push(a);
        hi.push(b);
      }
    }
    this.#lo = new Uint32Array(lo);
    this.#hi = new Uint32Array(hi);
  }

  get count(): number {
    return this.#lo.length;
  }

  has(ip: number): boolean {
    let l = 0, h = this.#lo.length - 1, found = -1;
    while (l <= h) {
      const mid = (l + h) >>> 1;
      if (this.#lo[mid] <= ip) {
        found = mid;
        l = mid + 1;
      } else h = mid - 1;
    }
    return found >= 0 && ip <= this.#hi[found];
  }
}

type Words = readonly [number, number, number, number];

function words(b: Uint8Array): Words {
  return [word(b, 0), word(b, 4), word(b, 8), word(b, 12)];
}

function compare(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number): number {
  for (let i = 0; i < 4; i++) {
    const x = a[ai + i], y = b[bi + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// a + 1 == b, without overflowing past the last address.
function isSuccessor(a: Words, b: Words): boolean {
  const next = [...a];
  for (let i = 3; i >= 0; i--) {
    if (next[i] !== 0xffff_ffff) {
      next[i]++;
      return compare(next, 0, b, 0) === 0;
    }
    next[i] = 0;
  }
  return false;
}

/** Merged IPv6 ranges: starts and ends as four words each, sorted. */
class V6Ranges {
  readonly #lo: Uint32Array;
  readonly #hi: Uint32Array;

  constructor(blocks: readonly Cidr[]) {
    const spans = blocks.map((c) => {
      const base = words(c.bytes);
      const lo = base.map((w, i) => (w & mask(c.prefix - i * 32)) >>> 0) as unknown as Words;
      const hi = base.map((w, i) => (w | ~mask(c.prefix - i * 32)) >>> 0) as unknown as Words;
      return [lo, hi] as [Words, Words];
    }).sort((x, y) => compare(x[0], 0, y[0], 0));
    const merged: [Words, Words][] = [];
    for (const [lo, hi] of spans) {
      const last = merged[merged.length - 1];
      if (last && (compare(lo, 0, last[1], 0) <= 0 || isSuccessor(last[1], lo))) {
        if (compare(hi, 0, last[1], 0) > 0) last[1] = hi;
      } else merged.push([lo, hi]);
    }
    this.#lo = new Uint32Array(merged.flatMap((m) => m[0]));
    this.#hi = new Uint32Array(merged.flatMap((m) => m[1]));
  }

  get count(): number {
    return this.#lo.length / 4;
  }

  has(ip: Words): boolean {
    let l = 0, h = this.count - 1, found = -1;
    while (l <= h) {
      const mid = (l + h) >>> 1;
      if (compare(this.#lo, mid * 4, ip, 0) <= 0) {
        found = mid;
        l = mid + 1;
      } else h = mid - 1;
    }
    return found >= 0 && compare(this.#hi, found * 4, ip, 0) >= 0;
  }
}

/** An immutable set of IPv4 and IPv6 blocks. */
export class IpSet {
  readonly #v4: V4Ranges;
  readonly #v6: V6Ranges;

  /** The union of `blocks` (4- and 16-byte ones; others are ignored). */
  constructor(blocks: Iterable<Cidr>) {
    const all = [...blocks];
    this.#v4 = new V4Ranges(all.filter((c) => c.bytes.length === 4));
    this.#v6 = new V6Ranges(all.filter((c) => c.bytes.length === 16));
  }

  /** Merged ranges held (IPv4 plus IPv6): what the blocks collapsed to. */
  get size(): number {
    return this.#v4.count + this.#v6.count;
  }

  /** Whether address bytes `ip` (4 or 16) lie in a block; IPv4 never matches an IPv6 block. */
  has(ip: Uint8Array): boolean {
    if (ip.length === 4) return this.#v4.has(word(ip, 0));
    if (ip.length === 16) return this.#v6.has(words(ip));
    return false;
  }
}
