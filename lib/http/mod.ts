/** Pure HTTP/1.x head codec, read and written as Go's net/http does (floor 2). */
export {
  canonicalHeaderName,
  encodeHead,
  findHeadEnd,
  type HeaderFields,
  headerValue,
  headerValues,
  httpDate,
  latin1,
  latin1Bytes,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
  requestLineError,
  type ResponseHead,
  tokenListContains,
} from "./head.ts";
