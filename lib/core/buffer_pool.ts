/**
 * Arrays for the data path, shared by every connection: a read or a sealed write borrows one for
 * as long as its bytes are in use and gives it back, so a thousand connections between transfers
 * hold no transfer-sized arrays, and a bulk transfer does not allocate one per read.
 *
 * Sizes come in classes (powers of two from 4 KiB to 128 KiB, each with classes an eighth and a
 * quarter larger: a 2^k-byte read sealed into VMess chunks fits the first, a read plus the
 * partial chunk left before it the second), so a borrowed array may be larger than asked; asks
 * beyond the largest class get an array of their own, not pooled.
 */

/** The size classes, ascending. */
export const POOL_CLASSES: readonly number[] = (() => {
  const out: number[] = [];
  for (let k = 11; k <= 17; k++) {
    out.push(1 << k, (1 << k) + (1 << (k - 3)), (1 << k) + (1 << (k - 2)));
  }
  return out;
})();

const CLASS_OF_SIZE = new Map(POOL_CLASSES.map((size, c) => [size, c]));

/** Free bytes a pool keeps by default; what is given back beyond this is left to the GC. */
export const DEFAULT_POOL_KEEP = 64 * 1024 * 1024;

/** How much a pool holds and lends, for tests and metrics. */
export interface PoolStats {
  /** Arrays lent and not given back (also those whose borrower dropped them). */
  readonly lent: number;
  /** Borrows ever, pooled or not: how busy the data path has been between two looks. */
  readonly borrows: number;
  /** Arrays kept for the next borrower. */
  readonly free: number;
  /** Bytes of the kept arrays. */
  readonly freeBytes: number;
}

/** A pool of byte arrays by size class; single-threaded, as everything on the event loop. */
export class BufferPool {
  readonly #keep: number;
  // Free arrays per class, and the fewest each list held since the last shrink().
  readonly #free: Uint8Array[][] = POOL_CLASSES.map(() => []);
  readonly #lowWater: number[] = POOL_CLASSES.map(() => 0);
  // Every pooled array lent now: a give-back of one that is not (unpooled, or given back already)
  // is ignored rather than put on a free list twice, which would lend one array to two borrowers.
  // Weak, so an array whose borrower is dropped without giving it back is still collected.
  readonly #lent = new WeakSet<ArrayBuffer>();
  #lentCount = 0;
  #borrows = 0;
  #freeBytes = 0;

  /** A pool that keeps at most `keep` bytes of free arrays. */
  constructor(keep = DEFAULT_POOL_KEEP) {
    this.#keep = keep;
  }

  /**
   * An array of at least `n` bytes (its whole length is usable), to be given back with
   * `giveBack()` once nothing reads or writes it any more: not while a socket operation on it may
   * still be pending, nor while a view of it handed to a caller may still be in use.
   */
  borrow(n: number): Uint8Array {
    this.#borrows++;
    const c = classOf(n);
    if (c < 0) return new Uint8Array(n);
    const list = this.#free[c];
    let buf = list.pop();
    if (buf) {
      this.#freeBytes -= buf.length;
      if (list.length < this.#lowWater[c]) this.#lowWater[c] = list.length;
    } else {
      buf = new Uint8Array(POOL_CLASSES[c]);
    }
    this.#lent.add(buf.buffer as ArrayBuffer);
    this.#lentCount++;
    return buf;
  }

  /**
   * Takes back an array from `borrow()` (a view of it is fine). Arrays this pool did not lend (the
   * unpooled large ones) and a second give-back before the array is lent again are ignored; a
   * borrower drops its reference when it gives an array back, as one given back after being lent
   * again would be freed under its new borrower.
   */
  giveBack(view: Uint8Array): void {
    const ab = view.buffer as ArrayBuffer;
    if (!this.#lent.delete(ab)) return;
    this.#lentCount--;
    if (this.#freeBytes + ab.byteLength > this.#keep) return;
    const c = CLASS_OF_SIZE.get(ab.byteLength)!;
    this.#free[c].push(new Uint8Array(ab));
    this.#freeBytes += ab.byteLength;
  }

  /**
   * Drops the free arrays no borrower needed since the last call (each class's low-water mark),
   * for the GC to collect: called now and then, it returns what a finished burst left behind,
   * while a steady load keeps what it keeps borrowing.
   */
  shrink(): void {
    for (let c = 0; c < POOL_CLASSES.length; c++) {
      const list = this.#free[c];
      const drop = Math.min(this.#lowWater[c], list.length);
      for (const b of list.splice(0, drop)) this.#freeBytes -= b.length;
      this.#lowWater[c] = list.length;
    }
  }

  /** Lent and kept arrays now. */
  stats(): PoolStats {
    let free = 0;
    for (const l of this.#free) free += l.length;
    return { lent: this.#lentCount, borrows: this.#borrows, free, freeBytes: this.#freeBytes };
  }
}

// The smallest class that holds n bytes, or -1 beyond the largest.
function classOf(n: number): number {
  for (let c = 0; c < POOL_CLASSES.length; c++) if (n <= POOL_CLASSES[c]) return c;
  return -1;
}

/** The process's pool, shared by every connection's reads and writes. */
export const bufferPool: BufferPool = new BufferPool();
