/** Config: V2Ray 4 JSON (with comments) read, merged and validated into typed structures. */
export { loadConfigFiles, loadConfigObject, type LoadedConfig } from "./load.ts";
export { parseJsonc } from "./jsonc.ts";
export { mergeConfigs } from "./merge.ts";
export {
  type Config,
  type InboundConfig,
  type OutboundConfig,
  validateConfig,
} from "./validate.ts";
export { ConfigError, type ConfigIssue, formatIssue, formatPath } from "./issues.ts";
export {
  DEFAULT_LEVEL,
  inboundPolicy,
  type LevelPolicy,
  type Policy,
  resolvePolicy,
  type SystemPolicy,
} from "./policy.ts";
export type * from "./protocols/mod.ts";
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
