/** ByteStream over a Deno TCP connection, with read()/write() loops so half-close survives (deno#22258). */
import type { ByteStream } from "../core/stream.ts";
import { type BufferPool, bufferPool, POOL_CLASSES } from "../core/buffer_pool.ts";

/** Default largest read of a TCP stream. */
export const DEFAULT_READ_BUFFER = 64 * 1024;

/** The read buffer every connection keeps: the one an idle or interactive connection reads into. */
export const MIN_READ_BUFFER = 2 * 1024;

/**
 * A ByteStream on a Deno.Conn; read() returns a view valid until the next read. A read that waits
 * for data (the first, and each after a read that drained the socket) uses the stream's own
 * MIN_READ_BUFFER array; a read that follows a full one (more is likely queued) borrows a
 * `readBuffer`-sized array and gives it back at the next read. Both come from the shared pool,
 * the own one until close: so an idle connection holds only its small array, however much it
 * moved before, bulk transfers read up to `readBuffer` at a time, and neither allocates per read
 * or per connection.
 */
export class TcpStream implements ByteStream {
  readonly #conn: Deno.Conn;
  readonly #max: number;
  readonly #pool: BufferPool;
  readonly #own: Uint8Array;
  // The array behind the last read's bytes, which the caller may use until it reads again.
  #out: Uint8Array | null = null;
  // The array a pending read fills.
  #reading: Uint8Array | null = null;
  // Whether the last read filled its array, so the next one may take a large array at once.
  #bulk = false;
  #closed = false;
  #writeClosed = false;

  /** Wraps `conn`; `readBuffer` bounds how much one read() returns. */
  constructor(conn: Deno.Conn, readBuffer = DEFAULT_READ_BUFFER, pool: BufferPool = bufferPool) {
    this.#conn = conn;
    // Reads larger than the pool's largest class would get a fresh array each time.
    this.#max = Math.min(Math.max(readBuffer, 1), POOL_CLASSES[POOL_CLASSES.length - 1]);
    this.#pool = pool;
    const own = Math.min(MIN_READ_BUFFER, this.#max);
    this.#own = pool.borrow(own).subarray(0, own);
  }

  /** The underlying connection (addresses, keep-alive settings). */
  get conn(): Deno.Conn {
    return this.#conn;
  }

  /** Next bytes (a view valid until the next read, at most `max`), or null at EOF or after close. */
  async read(max?: number): Promise<Uint8Array | null> {
    if (this.#closed) return null;
    this.release(); // reading again means the caller is done with the last read's bytes
    const buf = this.#bulk && this.#max > this.#own.length
      ? this.#pool.borrow(this.#max).subarray(0, this.#max)
      : this.#own;
    const into = max !== undefined && max < buf.length ? buf.subarray(0, max) : buf;
    this.#reading = buf;
    let n: number | null;
    try {
      n = await this.#conn.read(into);
    } catch (e) {
      this.#readOver(buf);
      if (this.#closed) return null;
      throw e;
    } finally {
      this.#reading = null;
    }
    if (n === null) {
      this.#readOver(buf);
      return null;
    }
    // A full array: more is probably queued. Less than asked: the socket is drained, and the next
    // read will likely wait, on the small array. (A read cut short by `max` says neither.)
    if (n === buf.length) this.#bulk = true;
    else if (n < into.length) this.#bulk = false;
    this.#out = buf;
    return buf.subarray(0, n);
  }

  /** The caller is done with the last read's bytes: a borrowed array goes back now. */
  release(): void {
    if (this.#out !== this.#own && this.#out) this.#pool.giveBack(this.#out);
    this.#out = null;
  }

  // A read ended with no bytes handed out: its array is free again (and the own one too once the
  // stream is closed, as no read will use it after).
  #readOver(buf: Uint8Array): void {
    if (buf !== this.#own) this.#pool.giveBack(buf);
    else if (this.#closed) this.#pool.giveBack(buf);
  }

  /** Writes every byte, looping over partial writes. */
  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) off += await this.#conn.write(data.subarray(off));
  }

  /** Half-closes the sending side (FIN); idempotent. */
  async closeWrite(): Promise<void> {
    if (this.#writeClosed || this.#closed) return;
    this.#writeClosed = true;
    try {
      await this.#conn.closeWrite();
    } catch {
      // The peer may already be gone; nothing is left to signal.
    }
  }

  /**
   * Hands the connection over (TLS started on it) without closing it; the stream is done. Only
   * before any read is pending.
   */
  detach(): Deno.Conn {
    this.#retire();
    return this.#conn;
  }

  // Marks the stream closed and gives back its own array if nothing still uses it.
  #retire(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    // A pending read gives its array back when it ends (with no bytes, after a close). The last
    // read's bytes may still be in use (a relay writing them on): their array is left to the GC
    // rather than lent to another connection; the own one goes back if it is neither.
    if (this.#reading !== this.#own && this.#out !== this.#own) this.#pool.giveBack(this.#own);
    return true;
  }

  /** Closes the socket; idempotent. */
  close(): void {
    if (!this.#retire()) return;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
  }
}

/** Connects to host:port over TCP and wraps the connection. */
export async function dialTcp(
  hostname: string,
  port: number,
  readBuffer?: number,
): Promise<TcpStream> {
  const conn = await Deno.connect({ hostname, port, transport: "tcp" });
  setNoDelay(conn);
  return new TcpStream(conn, readBuffer);
}

/** Turns Nagle off, as Go (V2Ray) does for every TCP connection: small relayed writes go at once. */
export function setNoDelay(conn: Deno.Conn): void {
  try {
    (conn as Deno.TcpConn).setNoDelay(true);
  } catch {
    // Not fatal: only latency suffers.
  }
}
