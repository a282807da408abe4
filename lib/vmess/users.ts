/** The server's users: precomputed keys and the legacy auth table (spec §1.3). */
import { hmacMd5 } from "../crypto/mod.ts";
import { toHex } from "../core/bytes.ts";
import { kdf16 } from "./kdf.ts";
import { alterIds, cmdKey, type Uuid, uuidBytes } from "./uuid.ts";
import { timestampBytes } from "./client_request.ts";

/** A configured VMess server user. */
export interface VmessUser {
  /** The primary id. */
  readonly id: Uuid;
  /** Legacy alter id count. */
  readonly alterId: number;
  /** Policy level. */
  readonly level: number;
  /** Email (stats and routing key), "" if none. */
  readonly email: string;
}

/** A user with its keys. */
export interface UserKeys {
  /** The user. */
  readonly user: VmessUser;
  /** Primary id bytes. */
  readonly idBytes: Uint8Array;
  /** cmdKey of the primary id. */
  readonly cmdKey: Uint8Array;
  /** AES key of the AuthID. */
  readonly authIdKey: Uint8Array;
  /** Primary id followed by the alter ids. */
  readonly ids: readonly Uint8Array[];
}

/** Legacy window: ±120 s around now, as V2Ray's cacheDurationSec. */
export const LEGACY_WINDOW = 120;

/** Users and the table of legacy auth hashes for the current time window. */
export class UserRegistry {
  readonly #users: UserKeys[] = [];
  readonly #table = new Map<string, { keys: UserKeys; ts: number }>();
  readonly #byTs = new Map<number, string[]>();
  #from = 0;
  #to = -1;

  /** A registry of `users`. */
  constructor(users: readonly VmessUser[]) {
    for (const u of users) this.add(u);
  }

  /** Adds a user (dynamic-port accounts come and go). */
  add(user: VmessUser): void {
    const idBytes = uuidBytes(user.id);
    const key = cmdKey(idBytes);
    const keys: UserKeys = {
      user,
      idBytes,
      cmdKey: key,
      authIdKey: kdf16(key, "AES Auth ID Encryption"),
      ids: [idBytes, ...alterIds(idBytes, user.alterId)],
    };
    this.#users.push(keys);
    for (let t = this.#from; t <= this.#to; t++) this.#hash(keys, t);
  }

  /** Removes a user by id. */
  remove(id: Uuid): void {
    const i = this.#users.findIndex((k) => k.user.id === id);
    if (i < 0) return;
    const [gone] = this.#users.splice(i, 1);
    for (const [k, v] of this.#table) if (v.keys === gone) this.#table.delete(k);
  }

  /** Every user with keys. */
  get users(): readonly UserKeys[] {
    return this.#users;
  }

  #hash(keys: UserKeys, t: number): void {
    const tb = timestampBytes(t);
    let list = this.#byTs.get(t);
    if (!list) this.#byTs.set(t, list = []);
    // 4.34 accepts the primary id too, even with alterId 0 (spec §1.3).
    for (const id of keys.ids) {
      const h = toHex(hmacMd5(id, tb));
      this.#table.set(h, { keys, ts: t });
      list.push(h);
    }
  }

  // Slides the window to [now-120, now+120]: hashes for new seconds in, old seconds out.
  #update(nowSec: number): void {
    const from = nowSec - LEGACY_WINDOW, to = nowSec + LEGACY_WINDOW;
    if (from === this.#from && to === this.#to) return;
    for (const [t, list] of this.#byTs) {
      if (t < from || t > to) {
        for (const h of list) this.#table.delete(h);
        this.#byTs.delete(t);
      }
    }
    for (let t = Math.max(from, this.#to + 1); t <= to; t++) {
      for (const k of this.#users) this.#hash(k, t);
    }
    if (from < this.#from || this.#to < from) {
      for (let t = from; t <= Math.min(to, this.#from - 1); t++) {
        for (const k of this.#users) this.#hash(k, t);
      }
    }
    this.#from = from;
    this.#to = to;
  }

  /** The user and timestamp of a legacy auth value, or null. */
  lookupLegacy(auth: Uint8Array, nowSec: number): { keys: UserKeys; ts: number } | null {
    this.#update(nowSec);
    return this.#table.get(toHex(auth)) ?? null;
  }
}
