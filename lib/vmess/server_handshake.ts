/**
 * The server's request-header reader (spec §2.4): a pure state machine fed bytes in any split.
 * It tells AEAD from legacy, checks replay and session history, and never throws.
 */
import { aeadOpen, aesCfb, md5 } from "../crypto/mod.ts";
import { concatBytes, toHex } from "../core/bytes.ts";
import { ProtocolError } from "../core/errors.ts";
import type { HeaderMode } from "./body_keys.ts";
import { authIdTime, inAuthIdWindow } from "./auth_id.ts";
import { timestampBytes } from "./client_request.ts";
import { DrainParameters } from "./drain.ts";
import { kdf, kdf16 } from "./kdf.ts";
import { parseReplaySnapshot, ReplayFilter, type ReplaySnapshot } from "./replay.ts";
import { decodeRequestHeader, type RequestHeader, requestHeaderLength } from "./request_header.ts";
import { type UserKeys, UserRegistry, type VmessUser } from "./users.ts";

/** A request the server accepted. */
export interface AcceptedRequest {
  /** Who sent it. */
  readonly user: VmessUser;
  /** The decoded header. */
  readonly header: RequestHeader;
  /** AEAD or legacy envelope. */
  readonly mode: HeaderMode;
}

/** What the reader reports after each push. */
export type HeaderStep =
  | { readonly kind: "need-more" }
  | { readonly kind: "failed"; readonly code: string; readonly message: string }
  | { readonly kind: "done"; readonly value: AcceptedRequest; readonly rest: Uint8Array };

/** An AEAD header that authenticated but whose time was outside the window. */
export interface ClockSkew {
  /** The user whose key it authenticated under. */
  readonly user: VmessUser;
  /** The client's time minus ours, seconds (positive: the client is ahead). */
  readonly seconds: number;
}

const NEED_MORE: HeaderStep = { kind: "need-more" };
const MAX_HEADER = 2048;

/** The AEAD header's length if its length block (bytes 16..34) authenticates under `key`. */
function openHeaderLength(key: Uint8Array, b: Uint8Array): number | null {
  const authId = b.subarray(0, 16);
  const nonce = b.subarray(34, 42);
  const lenKey = kdf16(key, "VMess Header AEAD Key_Length", authId, nonce);
  const lenNonce = kdf(key, "VMess Header AEAD Nonce_Length", authId, nonce).slice(0, 12);
  const len = aeadOpen("aes-128-gcm", lenKey, lenNonce, b.subarray(16, 34), authId);
  return len ? (len[0] << 8) | len[1] : null;
}

/** A VMess server's shared state: users, replay filters, drain parameters. */
export class VmessServer {
  /** The users. */
  readonly users: UserRegistry;
  #authIds: ReplayFilter;
  #sessions: ReplayFilter;
  #drain: DrainParameters | null = null;

  /** Server state for `users`; `nowSec` starts the replay windows. */
  constructor(users: readonly VmessUser[], nowSec = Math.floor(Date.now() / 1000)) {
    this.users = new UserRegistry(users);
    this.#authIds = new ReplayFilter(120, 100_000, nowSec);
    this.#sessions = new ReplayFilter(180, 100_000, nowSec);
  }

  // Fixed at first use, as V2Ray seeds it from the users added before the first connection.
  #drainParameters(): DrainParameters {
    return this.#drain ??= new DrainParameters(this.users.users.map((u) => u.idBytes));
  }

  /** Bytes to consume before closing a failed connection (fixed per user set, plus a roll). */
  drainSize(): number {
    return this.#drainParameters().drainSize();
  }

  /** The range drainSize() draws from. */
  drainRange(): [number, number] {
    return this.#drainParameters().range();
  }

  /** A reader for one connection at time `nowSec`. */
  headerReader(nowSec: number): RequestHeaderReader {
    return new RequestHeaderReader(this, nowSec);
  }

  /** Records an AuthID; false if it is a replay. */
  acceptAuthId(authId: Uint8Array, nowSec: number): boolean {
    return this.#authIds.check(toHex(authId), nowSec);
  }

  /** Records (user, body key, body IV); false if the same session was seen in the last 3 minutes. */
  acceptSession(keys: UserKeys, h: RequestHeader, nowSec: number): boolean {
    return this.#sessions.check(toHex(concatBytes(keys.idBytes, h.bodyKey, h.bodyIv)), nowSec);
  }

  /** Replay keys recorded so far (a saved state is stale once this moves). */
  get replayKeysAdded(): number {
    return this.#authIds.added + this.#sessions.added;
  }

  /** What the replay filters remember, to be restored after a restart. */
  replayState(): VmessReplayState {
    return { authIds: this.#authIds.snapshot(), sessions: this.#sessions.snapshot() };
  }

  /**
   * From now on checks against `other`'s replay filters, shared (the server of a reloaded inbound
   * replacing `other`): a request either has seen is a replay to both.
   */
  shareReplayFilters(other: VmessServer): void {
    this.#authIds = other.#authIds;
    this.#sessions = other.#sessions;
  }

  /** Restores the replay filters from an earlier run's state (what is still in its window). */
  restoreReplayState(state: VmessReplayState, nowSec: number): void {
    this.#authIds.restore(state.authIds, nowSec);
    this.#sessions.restore(state.sessions, nowSec);
  }
}

/** The replay filters of a VMess server as plain data. */
export interface VmessReplayState {
  /** AEAD AuthIDs seen (120 s windows). */
  readonly authIds: ReplaySnapshot;
  /** Legacy (user, body key, IV) triples seen (180 s windows). */
  readonly sessions: ReplaySnapshot;
}

/** Reads one request header. */
export class RequestHeaderReader {
  readonly #server: VmessServer;
  readonly #now: number;
  #buf: Uint8Array = new Uint8Array(0);
  #state:
    | { kind: "auth" }
    | { kind: "aead"; keys: UserKeys; len?: number }
    | { kind: "legacy"; keys: UserKeys; iv: Uint8Array }
    | { kind: "skewed"; keys: UserKeys; time: number }
    | { kind: "over" } = { kind: "auth" };
  #clockSkew: ClockSkew | null = null;

  /** A reader against `server` at `nowSec`. */
  constructor(server: VmessServer, nowSec: number) {
    this.#server = server;
    this.#now = nowSec;
  }

  /** Set when the reader failed with code "clock": whose header it was, and how far off its time. */
  get clockSkew(): ClockSkew | null {
    return this.#clockSkew;
  }

  /** Adds bytes and reports progress; after done or failed, further pushes report the same kind. */
  push(bytes: Uint8Array): HeaderStep {
    if (this.#state.kind === "over") {
      return { kind: "failed", code: "over", message: "reader finished" };
    }
    this.#buf = concatBytes(this.#buf, bytes);
    try {
      const step = this.#step();
      if (step.kind !== "need-more") this.#state = { kind: "over" };
      return step;
    } catch (e) {
      this.#state = { kind: "over" };
      const code = e instanceof ProtocolError ? e.code : "bad-header";
      return { kind: "failed", code, message: (e as Error).message };
    }
  }

  #fail(code: string, message: string): HeaderStep {
    return { kind: "failed", code, message };
  }

  #step(): HeaderStep {
    const b = this.#buf;
    const st = this.#state;
    if (st.kind === "auth") {
      if (b.length < 16) return NEED_MORE;
      const auth = b.subarray(0, 16);
      let skewed: { keys: UserKeys; time: number } | null = null;
      for (const keys of this.#server.users.users) {
        const time = authIdTime(keys.authIdKey, auth);
        if (time === null) continue;
        if (!inAuthIdWindow(time, this.#now)) {
          skewed ??= { keys, time };
          continue;
        }
        if (!this.#server.acceptAuthId(auth, this.#now)) {
          return this.#fail("replay", "AuthID replayed");
        }
        this.#state = { kind: "aead", keys };
        return this.#step();
      }
      const legacy = this.#server.users.lookupLegacy(auth, this.#now);
      if (legacy) {
        const t = timestampBytes(legacy.ts);
        this.#state = { kind: "legacy", keys: legacy.keys, iv: md5(t, t, t, t) };
        return this.#step();
      }
      if (!skewed) return this.#fail("bad-auth", "no user matches");
      this.#state = { kind: "skewed", ...skewed };
      return this.#step();
    }
    if (st.kind === "aead") return this.#aead(st);
    if (st.kind === "legacy") return this.#legacy(st.keys, st.iv);
    if (st.kind === "skewed") return this.#skewed(st.keys, st.time);
    return this.#fail("over", "reader finished");
  }

  // An AuthID whose CRC holds under a user's key but whose time is out of the window: when the
  // header length authenticates under that key too, it is that user with a clock off (or an old
  // capture replayed). Only the failure's code differs from bad-auth; the caller drains alike.
  #skewed(keys: UserKeys, time: number): HeaderStep {
    if (this.#buf.length < 42) return NEED_MORE;
    if (openHeaderLength(keys.cmdKey, this.#buf) === null) {
      return this.#fail("bad-auth", "no user matches");
    }
    const seconds = time - this.#now;
    this.#clockSkew = { user: keys.user, seconds };
    return this.#fail("clock", `client clock off by ${seconds > 0 ? "+" : ""}${seconds} s`);
  }

  #aead(st: { keys: UserKeys; len?: number }): HeaderStep {
    const b = this.#buf;
    if (b.length < 42) return NEED_MORE;
    const authId = b.subarray(0, 16);
    const nonce = b.subarray(34, 42);
    const key = st.keys.cmdKey;
    if (st.len === undefined) {
      const len = openHeaderLength(key, b);
      if (len === null) return this.#fail("bad-auth", "header length failed authentication");
      st.len = len;
    }
    const end = 42 + st.len + 16;
    if (b.length < end) return NEED_MORE;
    const hdrKey = kdf16(key, "VMess Header AEAD Key", authId, nonce);
    const hdrNonce = kdf(key, "VMess Header AEAD Nonce", authId, nonce).slice(0, 12);
    const plain = aeadOpen("aes-128-gcm", hdrKey, hdrNonce, b.subarray(42, end), authId);
    if (!plain) return this.#fail("bad-auth", "header failed authentication");
    return this.#accept(st.keys, decodeRequestHeader(plain), "aead", b.subarray(end));
  }

  #legacy(keys: UserKeys, iv: Uint8Array): HeaderStep {
    const b = this.#buf;
    const cipher = b.subarray(16, 16 + MAX_HEADER);
    // Headers are short: decrypting the prefix again on each push is cheaper than keeping state.
    const plain = aesCfb(keys.cmdKey, iv, cipher, true);
    const len = requestHeaderLength(plain);
    if (len === null || plain.length < len) return NEED_MORE;
    return this.#accept(
      keys,
      decodeRequestHeader(plain.subarray(0, len)),
      "legacy",
      b.subarray(16 + len),
    );
  }

  #accept(keys: UserKeys, header: RequestHeader, mode: HeaderMode, rest: Uint8Array): HeaderStep {
    if (!this.#server.acceptSession(keys, header, this.#now)) {
      return this.#fail("replay", "duplicate session (body key and IV reused)");
    }
    return { kind: "done", value: { user: keys.user, header, mode }, rest: rest.slice() };
  }
}

/** A replay state read back from storage, or null if it is not one. */
export function parseReplayState(u: unknown): VmessReplayState | null {
  if (typeof u !== "object" || u === null) return null;
  const o = u as Record<string, unknown>;
  const authIds = parseReplaySnapshot(o.authIds);
  const sessions = parseReplaySnapshot(o.sessions);
  return authIds && sessions ? { authIds, sessions } : null;
}
