/** Response commands (spec §5.3): SwitchAccount, the dynamic-port handover. */
import { fnv1a32 } from "../crypto/mod.ts";
import { utf8 } from "../core/bytes.ts";
import { parseUuid, type Uuid, uuidBytes, uuidFromBytes } from "./uuid.ts";

/** A SwitchAccount command: use this account at this port for a while. */
export interface SwitchAccount {
  /** Host to use; empty means the server already connected to. */
  readonly host: string;
  /** Port of the new endpoint. */
  readonly port: number;
  /** The new user id. */
  readonly id: Uuid;
  /** Legacy alter id count of the new user. */
  readonly alterIds: number;
  /** Policy level. */
  readonly level: number;
  /** Minutes the account stays valid (≤ 255). */
  readonly validMinutes: number;
}

/** Command bytes: FNV1a32(content) ‖ content. */
export function marshalSwitchAccount(c: SwitchAccount): Uint8Array {
  const host = utf8(c.host);
  const content = new Uint8Array(1 + host.length + 2 + 16 + 2 + 1 + 1);
  let o = 0;
  content[o++] = host.length;
  content.set(host, o);
  o += host.length;
  content[o++] = c.port >> 8;
  content[o++] = c.port & 0xff;
  content.set(uuidBytes(c.id), o);
  o += 16;
  content[o++] = c.alterIds >> 8;
  content[o++] = c.alterIds & 0xff;
  content[o++] = c.level & 0xff;
  content[o++] = Math.min(255, c.validMinutes);
  const out = new Uint8Array(4 + content.length);
  new DataView(out.buffer).setUint32(0, fnv1a32(content));
  out.set(content, 4);
  return out;
}

/** Parses command bytes; null on a bad checksum or length (4.34 ignores such commands). */
export function unmarshalSwitchAccount(data: Uint8Array): SwitchAccount | null {
  if (data.length < 4) return null;
  const content = data.subarray(4);
  if (fnv1a32(content) !== new DataView(data.buffer, data.byteOffset).getUint32(0)) return null;
  if (content.length < 1) return null;
  const h = content[0];
  if (content.length < 1 + h + 22) return null;
  let o = 1 + h;
  const host = new TextDecoder().decode(content.subarray(1, o));
  const port = (content[o] << 8) | content[o + 1];
  o += 2;
  const id = uuidFromBytes(content.subarray(o, o + 16));
  o += 16;
  const alterIds = (content[o] << 8) | content[o + 1];
  o += 2;
  return {
    host,
    port,
    id: parseUuid(id)!,
    alterIds,
    level: content[o],
    validMinutes: content[o + 1],
  };
}
