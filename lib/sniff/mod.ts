/**
 * Sniffing: recognising a connection's protocol (and the name it carries) from its first bytes,
 * as V2Ray 4.34 does for HTTP/1 Host, TLS SNI and BitTorrent. Pure: bytes in, a verdict out.
 */
import { sniffBittorrent } from "./bittorrent.ts";
import { sniffHttp } from "./http.ts";
import { sniffTls } from "./tls.ts";
import { NEED_MORE, NOT_THIS, type Sniffer, type SniffVerdict } from "./verdict.ts";

export { sniffBittorrent } from "./bittorrent.ts";
export { sniffHttp } from "./http.ts";
export { MAX_CLIENT_HELLO, sniffTls } from "./tls.ts";
export {
  NEED_MORE,
  NOT_THIS,
  SNIFFED_PROTOCOLS,
  type SniffedProtocol,
  type Sniffer,
  type SniffFound,
  type SniffVerdict,
} from "./verdict.ts";

// 4.34's order; the first byte tells them apart, so at most one finds.
const SNIFFERS: readonly Sniffer[] = [sniffHttp, sniffTls, sniffBittorrent];

/** All sniffers at once: the first that finds, else need more while any may still find. */
export function sniff(bytes: Uint8Array): SniffVerdict {
  let pending = false;
  for (const s of SNIFFERS) {
    const v = s(bytes);
    if (v.kind === "found") return v;
    if (v.kind === "need-more") pending = true;
  }
  return pending ? NEED_MORE : NOT_THIS;
}
