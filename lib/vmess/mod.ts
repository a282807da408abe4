/** The VMess codec: pure, synchronous; bytes in, bytes out. */
export { alterIds, cmdKey, parseUuid, type Uuid, uuidBytes, uuidFromBytes } from "./uuid.ts";
export { kdf, kdf16 } from "./kdf.ts";
export { openAuthId, sealAuthId } from "./auth_id.ts";
export { decodeRequestHeader, encodeRequestHeader, type RequestHeader } from "./request_header.ts";
export { ClientAccount, sealAeadRequest, sealLegacyRequest } from "./client_request.ts";
export {
  type DecodedResponse,
  encodeResponseHeader,
  type ResponseHeader,
  ResponseHeaderDecoder,
} from "./response_header.ts";
export { marshalSwitchAccount, type SwitchAccount, unmarshalSwitchAccount } from "./commands.ts";
export {
  type AcceptedRequest,
  type ClockSkew,
  type HeaderStep,
  parseReplayState,
  RequestHeaderReader,
  type VmessReplayState,
  VmessServer,
} from "./server_handshake.ts";
export { type UserKeys, UserRegistry, type VmessUser } from "./users.ts";
export { type BodyKeys, type HeaderMode, responseBodyKeys } from "./body_keys.ts";
export { BodyReader } from "./body_reader.ts";
export { BodyWriter } from "./body_writer.ts";
export { type BodyCodecParams, DEFAULT_MAX_CHUNK_PAYLOAD } from "./body_plan.ts";
export { type Command, Option, type Security, type WireSecurity } from "./types.ts";
