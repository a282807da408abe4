/**
 * A FIFO of received byte arrays for the body reader. Bytes are copied only when a requested run
 * straddles two arrays, and then once, so small chunks cost no per-chunk buffer and arbitrary
 * splits never lead to repeated concatenation.
 */

const EMPTY = new Uint8Array(0);

// The scratch of straddling runs a caller needs only until its next take, shared by every queue:
// callers use such a run synchronously (decode a size, open a chunk), so one array serves all
// connections, where one per queue would keep up to a chunk's size per idle connection.
let scratch = EMPTY;

/** Queued bytes, consumed from the front; pushed arrays are kept by reference. */
export class ByteQueue {
  #bufs: Uint8Array[] = [];
  #first = 0;
  #offset = 0;
  #length = 0;
  // Whether every queued byte is in an array of the queue's own (detached, nothing pushed since).
  #owned = true;

  /** Bytes waiting. */
  get length(): number {
    return this.#length;
  }

  /** Appends `bytes` without copying; the caller must not modify them afterwards. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#owned = false;
    this.#bufs.push(bytes);
    this.#length += bytes.length;
  }

  /**
   * Removes the first `n` (≤ length) bytes and returns them as one array: a view of a pushed
   * array when they lie in one; otherwise a copy, in a scratch buffer that the next take on any
   * queue overwrites, or in a new array when `keep` is set.
   */
  take(n: number, keep: boolean): Uint8Array {
    if (n > this.#length) throw new RangeError(`take(${n}) with ${this.#length} bytes queued`);
    const head = this.#bufs[this.#first] ?? EMPTY;
    if (head.length - this.#offset >= n) {
      const view = head.subarray(this.#offset, this.#offset + n);
      this.#consume(n);
      return view;
    }
    let out: Uint8Array;
    if (keep) {
      out = new Uint8Array(n);
    } else {
      if (scratch.length < n) scratch = new Uint8Array(Math.max(n, 2 * scratch.length));
      out = scratch.subarray(0, n);
    }
    let filled = 0;
    while (filled < n) {
      const buf = this.#bufs[this.#first];
      const k = Math.min(buf.length - this.#offset, n - filled);
      out.set(buf.subarray(this.#offset, this.#offset + k), filled);
      filled += k;
      this.#consume(k);
    }
    return out;
  }

  /** Removes and returns up to `max` bytes from the front array, without copying. */
  takeSome(max: number): Uint8Array {
    const head = this.#bufs[this.#first] ?? EMPTY;
    const n = Math.min(max, head.length - this.#offset);
    const view = head.subarray(this.#offset, this.#offset + n);
    this.#consume(n);
    return view;
  }

  /** Drops the first `n` (≤ length) bytes. */
  skip(n: number): void {
    if (n > this.#length) throw new RangeError(`skip(${n}) with ${this.#length} bytes queued`);
    while (n > 0) {
      const k = Math.min(this.#bufs[this.#first].length - this.#offset, n);
      this.#consume(k);
      n -= k;
    }
  }

  /**
   * Copies the queued bytes into one array of the queue's own, so that the arrays pushed so far
   * may be reused by their owner (a socket's read buffer). Costs at most one partial chunk.
   */
  detach(): void {
    if (this.#length === 0 || this.#owned) return;
    this.#owned = true;
    const head = this.#bufs[this.#first];
    // One copy: a run across arrays is copied by take(keep); a run within one is sliced here.
    const owned = head.length - this.#offset >= this.#length
      ? head.slice(this.#offset, this.#offset + this.#length)
      : this.take(this.#length, true);
    this.#bufs = [owned];
    this.#first = 0;
    this.#offset = 0;
    this.#length = owned.length;
  }

  /** Drops everything, releasing the arrays. */
  clear(): void {
    this.#bufs = [];
    this.#first = 0;
    this.#offset = 0;
    this.#length = 0;
  }

  // Advances within the front array (k ≤ what it has left) and retires it when used up.
  #consume(k: number): void {
    this.#offset += k;
    this.#length -= k;
    const bufs = this.#bufs;
    if (this.#first < bufs.length && this.#offset === bufs[this.#first].length) {
      bufs[this.#first] = EMPTY; // release it now, not at compaction
      this.#first++;
      this.#offset = 0;
      if (this.#first === bufs.length) {
        bufs.length = 0;
        this.#first = 0;
      } else if (this.#first >= 1024 && this.#first * 2 >= bufs.length) {
        // Amortised O(1): the copy is no longer than the run of retirements that preceded it.
        this.#bufs = bufs.slice(this.#first);
        this.#first = 0;
      }
    }
  }
}
