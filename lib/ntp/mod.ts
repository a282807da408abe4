/** SNTP (RFC 4330): the packet codec and the offset it measures; no sockets here. */
export {
  decodeSntpAnswer,
  encodeSntpRequest,
  NTP_PACKET_SIZE,
  NTP_UNIX_OFFSET_SEC,
  ntpTimestampToUnixMs,
  type SntpAnswer,
  type SntpSample,
  sntpSample,
  unixMsToNtpTimestamp,
} from "./packet.ts";
