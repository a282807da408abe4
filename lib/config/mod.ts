/** Config: V2Ray 4 JSON (with comments) read, merged and validated into typed structures. */
export {
  isStdin,
  loadConfigFiles,
  loadConfigObject,
  type LoadedConfig,
  type LoadOptions,
} from "./load.ts";
export { parseJsonc } from "./jsonc.ts";
export { blankComments } from "./comments.ts";
export { MERGE_MODES, mergeConfigs, type MergeMode, type NamedConfig } from "./merge.ts";
export {
  type Config,
  type InboundConfig,
  type OutboundConfig,
  validateConfig,
  type ValidateOptions,
} from "./validate.ts";
export {
  type AssetRead,
  type AssetSource,
  type GeoUse,
  NO_ASSETS,
  resolveGeo,
} from "./geo_resolve.ts";
export { assetDirectories, DENORAY_ASSET_DIR, fileAssets, processAssets } from "./asset_files.ts";
export {
  ConfigError,
  configError,
  type ConfigIssue,
  configWarning,
  formatIssue,
  formatPath,
  type JsonPath,
} from "./issues.ts";
export {
  DEFAULT_LEVEL,
  inboundPolicy,
  type LevelPolicy,
  type Policy,
  resolvePolicy,
  type SystemPolicy,
} from "./policy.ts";
export type * from "./protocols/mod.ts";
export { type NtpConfig, parseGoDuration } from "./ntp.ts";
export {
  type PemSource,
  PLAIN_TCP,
  resolveStreamSettings,
  type SocketOptions,
  type StreamNetwork,
  type StreamResolution,
  type StreamSettings,
  type StreamSide,
  takeXrayEarlyData,
  type TcpStreamSettings,
  type TlsCertificate,
  type TlsSettings,
  type WsStreamSettings,
} from "./stream_settings.ts";
export type {
  AllocateConfig,
  LogConfig,
  PolicyConfig,
  RoutingConfig,
  RuleConfig,
} from "./schema.ts";
export { dumpConfig } from "./dump.ts";
export type { DnsConfig, DnsServerConfig } from "./dns.ts";
export { ROUTABLE_PROTOCOLS, type SniffingConfig, type SniffOverride } from "./sniffing.ts";
