/** PROXY protocol v1/v2 (pure, floor 2): the reader an inbound's listen stack uses, and writers. */
export { PROXY_FAMILIES, type ProxyAddress, type ProxyFamily, type ProxyHeader } from "./header.ts";
export {
  DEFAULT_V2_MAX_LENGTH,
  parseProxyHeader,
  type ProxyParseOptions,
  V1_MAX_LENGTH,
  V2_SIGNATURE,
} from "./parse.ts";
export { encodeProxyV1, encodeProxyV2, type ProxyV2Fields } from "./encode.ts";
