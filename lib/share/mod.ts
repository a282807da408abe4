/** Share links (`vmess://`, v2rayN's format) and their QR codes. */
export { decodeVmessLink, encodeVmessLink, ShareLinkError, type VmessShare } from "./vmess_link.ts";
export { clientConfigOf, type InboundShare, type ShareOptions, sharesOf } from "./from_config.ts";
export { type QrOptions, renderQr } from "./qr.ts";
