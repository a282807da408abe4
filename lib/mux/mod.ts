/** The Mux.Cool codec: pure; frames in and out of bytes, and the `mux` config as 4.34 reads it. */
export {
  encodeFrame,
  encodeFrameInto,
  type Frame,
  frameLength,
  MAX_FRAME_DATA,
  MAX_METADATA,
  MAX_UDP_DATA,
  NETWORK_BYTE,
  OPTION_DATA,
  OPTION_ERROR,
  type Status,
  STATUS_BYTE,
  STATUSES,
  STREAM_FRAME_DATA,
} from "./frame.ts";
export { FrameDecoder } from "./decoder.ts";
export { MUX_PROTOCOL_ERROR_CODES, MuxProtocolError, type MuxProtocolErrorCode } from "./errors.ts";
export {
  DEFAULT_MUX_CONCURRENCY,
  MAX_MUX_CONCURRENCY,
  type MuxConfig,
  type MuxSetting,
  readMuxSetting,
} from "./concurrency.ts";
export { isMuxCool, MUX_COOL_DESTINATION, MUX_COOL_DOMAIN } from "./destination.ts";
