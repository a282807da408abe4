/**
 * Sniffing a client's first bytes before routing, as V2Ray 4.34's dispatcher does: wait a bounded
 * time for bytes the sniffers can judge, then hand back a stream that yields every byte read,
 * unchanged, before the rest.
 */
import type { Destination } from "../core/destination.ts";
import type { Session } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import type { SniffingConfig } from "../config/mod.ts";
import { sniff, type SniffFound } from "../sniff/mod.ts";
import { PrefixedStream } from "../net/mod.ts";

/**
 * How long sniffing waits for the client's first bytes, ms. 4.34 makes two reads of up to 100 ms
 * each; a protocol where the server speaks first is delayed by this much, never stalled.
 */
export const SNIFF_WAIT_MS = 200;

/** The most bytes read while sniffing (a TLS record of ClientHello fits); then routing goes on. */
export const SNIFF_MAX_BYTES = 16 * 1024 + 5;

// A read that was still pending when sniffing stopped: its outcome, never a rejection.
type Settled = { readonly bytes: Uint8Array | null } | { readonly error: unknown };

/** The client stream after sniffing: a read left pending is delivered first, then the rest. */
class ResumedStream implements ByteStream {
  #pending: Promise<Settled> | null;
  readonly #inner: ByteStream;

  constructor(inner: ByteStream, pending: Promise<Settled> | null) {
    this.#inner = inner;
    this.#pending = pending;
  }

  async read(max?: number): Promise<Uint8Array | null> {
    const p = this.#pending;
    if (p === null) return this.#inner.read(max);
    const r = await p;
    if ("error" in r) {
      this.#pending = null;
      throw r.error;
    }
    if (r.bytes === null || max === undefined || r.bytes.length <= max) {
      this.#pending = null;
      return r.bytes;
    }
    // Keep what `max` leaves for the next read.
    this.#pending = Promise.resolve({ bytes: r.bytes.subarray(max) });
    return r.bytes.subarray(0, max);
  }

  write(data: Uint8Array): Promise<void> {
    return this.#inner.write(data);
  }

  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }

  close(): void {
    this.#inner.close();
  }
}

/** What sniffing found, and the stream to relay from now on. */
export interface Sniffed {
  /** The client stream, starting again at its first byte. */
  readonly stream: ByteStream;
  /** What the sniffers recognised, or null (no bytes in time, unknown, or too long). */
  readonly found: SniffFound | null;
}

/** Reads `client` until the sniffers decide, `waitMs` passes, the stream ends or `maxBytes`. */
export async function sniffClient(
  client: ByteStream,
  waitMs = SNIFF_WAIT_MS,
  maxBytes = SNIFF_MAX_BYTES,
): Promise<Sniffed> {
  let seen: Uint8Array = new Uint8Array(0);
  let pending: Promise<Settled> | null = null;
  let found: SniffFound | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), waitMs);
  });
  try {
    for (;;) {
      pending ??= client.read().then((bytes) => ({ bytes }), (error) => ({ error }));
      const r = await Promise.race([pending, expired]);
      if (r === "expired") break;
      if ("error" in r || r.bytes === null) break; // Delivered to the relay's first read.
      pending = null;
      // A read's bytes are valid only until the next read: join() copies them.
      seen = join(seen, r.bytes);
      const v = sniff(seen);
      if (v.kind === "found") found = v;
      if (v.kind !== "need-more" || seen.length >= maxBytes) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return { stream: new PrefixedStream(seen, new ResumedStream(client, pending)), found };
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The session and destination after sniffing: the protocol is the session's; its name replaces
 * the destination's address when `destOverride` names the protocol (4.34: whatever the address
 * was, IP or domain, and keeping the port).
 */
export function applySniffed(
  config: SniffingConfig,
  session: Session,
  destination: Destination,
  found: SniffFound | null,
): { session: Session; destination: Destination; overridden: boolean } {
  if (!found) return { session, destination, overridden: false };
  const protocol = found.protocol;
  const override = found.domain !== null &&
    config.destOverride.some((p) => protocol.startsWith(p));
  return {
    session: { ...session, protocol },
    destination: override ? { ...destination, address: found.domain! } : destination,
    overridden: override,
  };
}
