/** VMess user ids: the branded Uuid, cmdKey and legacy alter ids (spec §1.1, §1.2). */
import { fromHex, toHex, utf8 } from "../core/bytes.ts";
import { createHash, md5 } from "../crypto/mod.ts";

/** A UUID in canonical dashed lower-case text. */
export type Uuid = string & { readonly __brand: "Uuid" };

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Parses a UUID as V2Ray 4.34 does (32 hex digits, dashes optional); null if it is not one. */
export function parseUuid(text: string): Uuid | null {
  if (!UUID_RE.test(text)) return null;
  return uuidFromBytes(fromHex(text.replaceAll("-", "")));
}

/** The 16 bytes of a Uuid. */
export function uuidBytes(u: Uuid): Uint8Array {
  return fromHex(u.replaceAll("-", ""));
}

/** Canonical text of 16 bytes. */
export function uuidFromBytes(b: Uint8Array): Uuid {
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${
    h.slice(20)
  }` as Uuid;
}

const CMD_KEY_SALT = utf8("c48619fe-8f02-49e0-b9e9-edf763e17e21");
const ALTER_SALT = utf8("16167dc8-16b6-4e6d-b8bb-65dd68113a81");
const ALTER_RETRY = utf8("533eff8a-4113-4b10-b5ce-0f5d76b98cd2");

/** cmdKey = MD5(uuid ‖ "c48619fe-…"). */
export function cmdKey(id: Uint8Array): Uint8Array {
  return md5(id, CMD_KEY_SALT);
}

function nextId(id: Uint8Array): Uint8Array {
  // One running MD5 state, digested without reset (a copy is digested, the state goes on).
  const h = createHash("md5").update(id).update(ALTER_SALT);
  for (;;) {
    const d = h.copy().digest();
    if (toHex(d) !== toHex(id)) return d;
    h.update(ALTER_RETRY);
  }
}

/** The `count` legacy alter ids derived from a primary id. */
export function alterIds(primary: Uint8Array, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = primary;
  for (let i = 0; i < count; i++) out.push(prev = nextId(prev));
  return out;
}
