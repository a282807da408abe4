/** The byte-stream contract every inbound, outbound and codec wrapper speaks. */

/**
 * A bidirectional byte stream with half-close.
 * read() resolves with the next bytes (valid until the next read) or null at end of stream;
 * write() resolves when the bytes are accepted, which is how backpressure propagates.
 */
export interface ByteStream {
  /**
   * The next bytes, or null once the peer has finished sending. With `max`, at most that many
   * (bytes left over stay for the next read): handshakes use it to consume no more than they must.
   */
  read(max?: number): Promise<Uint8Array | null>;
  /** Sends all of `data`; resolves once it is handed to the transport. */
  write(data: Uint8Array): Promise<void>;
  /** Signals end of stream to the peer; reading may go on. */
  closeWrite(): Promise<void>;
  /** Closes both directions and releases the resources; safe to call more than once. */
  close(): void;
  /**
   * Optional: the caller is done with the last read's bytes before it reads again, so the stream
   * may reuse their array now (a decoder that has copied what it keeps says so).
   */
  release?(): void;
}
