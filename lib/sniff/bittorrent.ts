/** BitTorrent peer-wire handshake: byte 19, then "BitTorrent protocol" (as V2Ray 4.34 detects it). */
import { utf8 } from "../core/bytes.ts";
import { NEED_MORE, NOT_THIS, type SniffVerdict } from "./verdict.ts";

const MAGIC = new Uint8Array([19, ...utf8("BitTorrent protocol")]);

/** Whether `bytes` start a BitTorrent handshake (it carries no domain). */
export function sniffBittorrent(bytes: Uint8Array): SniffVerdict {
  const n = Math.min(bytes.length, MAGIC.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== MAGIC[i]) return NOT_THIS;
  if (bytes.length < MAGIC.length) return NEED_MORE;
  return { kind: "found", protocol: "bittorrent", domain: null };
}
