/**
 * RFC 6455 WebSocket for both roles, byte-compatible with V2Ray 4.34 (pure, floor 2): frames,
 * the server and client handshakes, early data (V2Fly's and Xray's forms).
 */
export {
  applyMask,
  CloseCode,
  closePayload,
  controlReply,
  DEFAULT_MAX_FRAME_PAYLOAD,
  encodeFrame,
  FrameDecoder,
  type FrameDecoderOptions,
  frameHeaderLength,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  protocolErrorClose,
  type WsEvent,
  type WsRole,
} from "./frame.ts";
export { acceptKey, clientKey } from "./accept.ts";
export { base64RawUrl, decodeBase64Lenient } from "./base64.ts";
export {
  DEFAULT_MAX_REQUEST_HEAD,
  forwardedForAddress,
  serverHandshake,
  upgradeReply,
  type WsReject,
  type WsServerHandshake,
  type WsServerOptions,
  type WsUpgrade,
} from "./server_handshake.ts";
export {
  buildUpgradeRequest,
  checkUpgradeResponse,
  DEFAULT_MAX_RESPONSE_HEAD,
  defaultHost,
  GO_USER_AGENT,
  RESERVED_HEADERS,
  wantsEarlyData,
  type WsClientAccepted,
  type WsClientOptions,
  type WsClientRequest,
} from "./client_handshake.ts";
