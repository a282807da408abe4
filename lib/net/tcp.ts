/** ByteStream over a Deno TCP connection, with read()/write() loops so half-close survives (deno#22258). */
import type { ByteStream } from "../core/stream.ts";

/** Default largest read of a TCP stream. */
export const DEFAULT_READ_BUFFER = 64 * 1024;

/** The read buffer an idle or interactive connection keeps. */
export const MIN_READ_BUFFER = 4 * 1024;

/** Reads in a row that use at most a quarter of the buffer before it halves. */
const SMALL_READS_TO_SHRINK = 4;

/**
 * A ByteStream on a Deno.Conn; read() returns a view into a reused buffer. The buffer starts at
 * MIN_READ_BUFFER and doubles after each read that fills it, up to `readBuffer`, and halves after
 * a run of reads that use a quarter of it: a bulk transfer gets large reads, while the many idle
 * connections of a busy server each hold a small pending buffer.
 */
export class TcpStream implements ByteStream {
  readonly #conn: Deno.Conn;
  readonly #max: number;
  #buf: Uint8Array;
  #smallReads = 0;
  #closed = false;
  #writeClosed = false;

  /** Wraps `conn`; `readBuffer` bounds how much one read() returns. */
  constructor(conn: Deno.Conn, readBuffer = DEFAULT_READ_BUFFER) {
    this.#conn = conn;
    this.#max = Math.max(readBuffer, 1);
    this.#buf = new Uint8Array(Math.min(MIN_READ_BUFFER, this.#max));
  }

  /** The underlying connection (addresses, keep-alive settings). */
  get conn(): Deno.Conn {
    return this.#conn;
  }

  /** Next bytes (a view valid until the next read, at most `max`), or null at EOF or after close. */
  async read(max?: number): Promise<Uint8Array | null> {
    if (this.#closed) return null;
    try {
      const buf = this.#buf;
      const n = await this.#conn.read(
        max !== undefined && max < buf.length ? buf.subarray(0, max) : buf,
      );
      if (n === null) return null;
      // The returned view stays valid after a resize: the next read uses the new array.
      if (n === buf.length && n < this.#max) {
        this.#buf = new Uint8Array(Math.min(n * 2, this.#max));
      }
      this.#smallReads = n <= buf.length / 4 ? this.#smallReads + 1 : 0;
      if (this.#smallReads >= SMALL_READS_TO_SHRINK && buf.length > MIN_READ_BUFFER) {
        this.#smallReads = 0;
        this.#buf = new Uint8Array(Math.max(buf.length / 2, MIN_READ_BUFFER));
      }
      return buf.subarray(0, n);
    } catch (e) {
      if (this.#closed) return null;
      throw e;
    }
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

  /** Closes the socket; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
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
