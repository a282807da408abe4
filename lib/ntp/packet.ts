/**
 * The SNTP packet (RFC 4330, NTPv4's 48-byte header): a client request and the checks on a
 * server's answer, and the clock offset it gives. Pure: the caller passes the times and the
 * random transmit timestamp in.
 */
import { ProtocolError } from "../core/errors.ts";

/** The size of an NTP header without extensions. */
export const NTP_PACKET_SIZE = 48;

/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch. */
export const NTP_UNIX_OFFSET_SEC = 2_208_988_800;

const MODE_CLIENT = 3;
const MODE_SERVER = 4;
const VERSION = 4;
const TRANSMIT = 40;
const ORIGINATE = 24;
const RECEIVE = 32;

/**
 * A client request whose transmit timestamp is `nonce` (8 random bytes): the server echoes it as
 * the originate timestamp, which ties the answer to this request without telling it our clock
 * (RFC 9109's client data minimisation); the send time is kept by the caller instead.
 */
export function encodeSntpRequest(nonce: Uint8Array): Uint8Array {
  if (nonce.length !== 8) throw new RangeError("an SNTP nonce is 8 bytes");
  const p = new Uint8Array(NTP_PACKET_SIZE);
  p[0] = (0 << 6) | (VERSION << 3) | MODE_CLIENT; // LI 0, VN 4, mode 3
  p.set(nonce, TRANSMIT);
  return p;
}

/** A server's answer, checked. */
export interface SntpAnswer {
  /** 1 (primary) … 15. */
  readonly stratum: number;
  /** When the request arrived at the server, ms since the Unix epoch (T2). */
  readonly receiveMs: number;
  /** When the answer left the server, ms since the Unix epoch (T3). */
  readonly transmitMs: number;
}

/**
 * An NTP timestamp (32-bit seconds since 1900, 32-bit fraction) as ms since the Unix epoch.
 * Seconds with the top bit clear are read in era 1 (from 2036-02-07), as RFC 4330 §3 says.
 */
export function ntpTimestampToUnixMs(bytes: Uint8Array, offset = 0): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, 8);
  const sec = v.getUint32(0), frac = v.getUint32(4);
  const era = sec < 0x8000_0000 ? 2 ** 32 : 0;
  return (sec + era - NTP_UNIX_OFFSET_SEC) * 1000 + (frac * 1000) / 2 ** 32;
}

/** Ms since the Unix epoch as an NTP timestamp (tests and the local SNTP server in tests). */
export function unixMsToNtpTimestamp(ms: number): Uint8Array {
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  let sec = Math.floor(ms / 1000);
  let frac = Math.round(((ms - sec * 1000) / 1000) * 2 ** 32);
  if (frac === 2 ** 32) [sec, frac] = [sec + 1, 0];
  v.setUint32(0, (sec + NTP_UNIX_OFFSET_SEC) % 2 ** 32);
  v.setUint32(4, frac);
  return out;
}

function fail(code: string, message: string): never {
  throw new ProtocolError(code, message);
}

/**
 * Checks a datagram against the `request` it should answer (RFC 4330 §5): a server-mode NTP
 * packet of version 1–4 echoing our transmit timestamp, synchronised (leap indicator not 3), of
 * stratum 1–15 (0 is a kiss-o'-death, whose code is reported), with a transmit time. Throws
 * ProtocolError "bad-ntp" (not an answer to this request) or "ntp-refused" (kiss-o'-death or an
 * unsynchronised server).
 */
export function decodeSntpAnswer(bytes: Uint8Array, request: Uint8Array): SntpAnswer {
  if (bytes.length < NTP_PACKET_SIZE) fail("bad-ntp", `${bytes.length}-byte NTP packet`);
  const leap = bytes[0] >> 6, version = (bytes[0] >> 3) & 7, mode = bytes[0] & 7;
  if (mode !== MODE_SERVER) fail("bad-ntp", `NTP mode ${mode}, not a server's answer`);
  if (version < 1 || version > 4) fail("bad-ntp", `NTP version ${version}`);
  const echoed = bytes.subarray(ORIGINATE, ORIGINATE + 8);
  const sent = request.subarray(TRANSMIT, TRANSMIT + 8);
  if (!echoed.every((b, i) => b === sent[i])) fail("bad-ntp", "not an answer to our request");
  const stratum = bytes[1];
  if (stratum === 0) {
    const code = String.fromCharCode(...bytes.subarray(12, 16)).replace(/[^\x20-\x7e]/g, "?");
    fail("ntp-refused", `the server sent kiss-o'-death ${JSON.stringify(code)}`);
  }
  if (stratum > 15) fail("bad-ntp", `NTP stratum ${stratum}`);
  if (leap === 3) fail("ntp-refused", "the server's clock is not synchronised");
  if (bytes.subarray(TRANSMIT, TRANSMIT + 8).every((b) => b === 0)) {
    fail("bad-ntp", "the answer has no transmit time");
  }
  return {
    stratum,
    receiveMs: ntpTimestampToUnixMs(bytes, RECEIVE),
    transmitMs: ntpTimestampToUnixMs(bytes, TRANSMIT),
  };
}

/** What one exchange measured. */
export interface SntpSample {
  /** How far the local clock is behind the server's, ms (add it to the local time). */
  readonly offsetMs: number;
  /** The round trip minus the server's own time, ms. */
  readonly delayMs: number;
}

/**
 * The offset and delay of one exchange (RFC 4330 §5): `sentMs` (T1) and `receivedMs` (T4) by
 * the local clock, the answer's T2 and T3 by the server's.
 */
export function sntpSample(answer: SntpAnswer, sentMs: number, receivedMs: number): SntpSample {
  const t1 = sentMs, t2 = answer.receiveMs, t3 = answer.transmitMs, t4 = receivedMs;
  return { offsetMs: ((t2 - t1) + (t3 - t4)) / 2, delayMs: (t4 - t1) - (t3 - t2) };
}
