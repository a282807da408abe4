/**
 * Reading a VMess request header off a socket under the handshake deadline, and draining on any
 * failure so that a prober learns nothing from where parsing failed (spec §7.2).
 */

import type { ByteStream } from "../core/stream.ts";

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
 * Feeds `stream` into `push` until the header is done. On a parse failure it keeps reading until
 * `drainSize` bytes were consumed in all, then reports; if the peer stops sending, it waits for
 * the deadline. Never writes. Rejects never: I/O errors become a failed outcome.
 */
export async function readHeader<T>(
  stream: ByteStream,
  push: (bytes: Uint8Array) => HeaderStep<T>,
  limits: HandshakeLimits,
): Promise<HandshakeOutcome<T>> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // Unblocks the pending read; the caller owns the stream and closes it anyway.
    stream.close();
  }, limits.deadlineMs);
  let consumed = 0;
  let failure: { code: string; message: string } | null = null;
  try {
    for (;;) {
      // Never read past the drain size unless a header is still being parsed beyond it: what a
      // failed connection consumes is then the drain size, wherever parsing failed.
      const left = limits.drainSize - consumed;
      if (failure && left <= 0) return { kind: "failed", ...failure, consumed };
      let bytes: Uint8Array | null;
      try {
        bytes = await stream.read(left > 0 ? Math.min(READ_SIZE, left) : READ_SIZE);
      } catch (e) {
        const why = timedOut
          ? { code: "timeout", message: "handshake timed out" }
          : { code: "io", message: (e as Error).message };
        return { kind: "failed", ...(failure ?? why), consumed };
      }
      if (bytes === null) {
        // The peer gave up (or the deadline closed the stream): a failure stays a failure; an
        // unfinished header is "eof" or "timeout".
        const why = timedOut
          ? { code: "timeout", message: "handshake timed out" }
          : { code: "eof", message: "connection closed inside the header" };
        return { kind: "failed", ...(failure ?? why), consumed };
      }
      consumed += bytes.length;
      if (failure) continue;
      // The parser may keep what it is given, and the stream reuses its buffer: a copy.
      const step = push(bytes.slice());
      if (step.kind === "done") return { kind: "done", value: step.value, rest: step.rest };
      if (step.kind === "failed") failure = { code: step.code, message: step.message };
    }
  } finally {
    clearTimeout(timer);
  }
}
