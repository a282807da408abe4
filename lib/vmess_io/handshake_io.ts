/**
 * Reading a VMess request header off a socket under the handshake deadline, and draining on any
 * failure so that a prober learns nothing from where parsing failed (spec §7.2).
 */

/** What a pure header parser reports after each push. */
export type HeaderStep<T> =
  | { readonly kind: "need-more" }
  | { readonly kind: "failed"; readonly code: string; readonly message: string }
  | { readonly kind: "done"; readonly value: T; readonly rest: Uint8Array };

/** How a handshake ended. */
export type HandshakeOutcome<T> =
  | { readonly kind: "done"; readonly value: T; readonly rest: Uint8Array }
  | {
    readonly kind: "failed";
    /** The parser's code, or "timeout" / "eof" / "io". */
    readonly code: string;
    readonly message: string;
    /** Bytes read from the peer in all. */
    readonly consumed: number;
  };

/** Limits of one handshake. */
export interface HandshakeLimits {
  /** Deadline for the whole header read, drain included (policy level 0 handshake). */
  readonly deadlineMs: number;
  /** Total bytes to consume before closing after a failure. */
  readonly drainSize: number;
}

const READ_SIZE = 4096;

/**
 * Feeds `conn` into `push` until the header is done. On a parse failure it keeps reading until
 * `drainSize` bytes were consumed in all, then reports; if the peer stops sending, it waits for
 * the deadline. Never writes. Rejects never: I/O errors become a failed outcome.
 */
export async function readHeader<T>(
  conn: Deno.Conn,
  push: (bytes: Uint8Array) => HeaderStep<T>,
  limits: HandshakeLimits,
): Promise<HandshakeOutcome<T>> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      // Unblocks the pending read; the caller owns the connection and closes it anyway.
      conn.close();
    } catch {
      // Already closed.
    }
  }, limits.deadlineMs);
  let consumed = 0;
  let failure: { code: string; message: string } | null = null;
  const buf = new Uint8Array(READ_SIZE);
  try {
    for (;;) {
      // Never read past the drain size unless a header is still being parsed beyond it: what a
      // failed connection consumes is then the drain size, wherever parsing failed.
      const left = limits.drainSize - consumed;
      if (failure && left <= 0) return { kind: "failed", ...failure, consumed };
      const want = left > 0 ? Math.min(READ_SIZE, left) : READ_SIZE;
      let n: number | null;
      try {
        n = await conn.read(buf.subarray(0, want));
      } catch (e) {
        const why = timedOut
          ? { code: "timeout", message: "handshake timed out" }
          : { code: "io", message: (e as Error).message };
        return { kind: "failed", ...(failure ?? why), consumed };
      }
      if (n === null) {
        // The peer gave up: a failure stays a failure; an unfinished header is "eof".
        return {
          kind: "failed",
          ...(failure ?? { code: "eof", message: "connection closed inside the header" }),
          consumed,
        };
      }
      consumed += n;
      if (failure) continue;
      const step = push(buf.slice(0, n));
      if (step.kind === "done") return { kind: "done", value: step.value, rest: step.rest };
      if (step.kind === "failed") failure = { code: step.code, message: step.message };
    }
  } finally {
    clearTimeout(timer);
  }
}
