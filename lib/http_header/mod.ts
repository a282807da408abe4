/** V2Ray 4.34's TCP `header.type: "http"` (pure, floor 2): settings with defaults, the heads, the checks. */
export {
  DEFAULT_REQUEST_HEADERS,
  DEFAULT_RESPONSE_HEADERS,
  type HttpHeaderField,
  type HttpHeaderSettings,
  httpHeaderSettings,
  type HttpRequestJson,
  type HttpRequestSettings,
  type HttpResponseJson,
  type HttpResponseSettings,
} from "./config.ts";
export {
  errorResponse,
  type HttpHeaderAccepted,
  type HttpHeaderRejected,
  MAX_HEAD_BYTES,
  type PickIndex,
  readRequestHead,
  requestHead,
  responseHead,
  skipResponseHead,
} from "./heads.ts";
