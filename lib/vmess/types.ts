/** Shared VMess vocabulary: security kinds, option bits, commands, addresses. */

/** A security as written in a V2Ray config. */
export type Security =
  | "aes-128-gcm"
  | "chacha20-poly1305"
  | "auto"
  | "none"
  | "aes-128-cfb"
  | "zero";

/** A security as it travels in the header's low nibble (auto is resolved before sending). */
export type WireSecurity = "aes-128-cfb" | "aes-128-gcm" | "chacha20-poly1305" | "none";

/** Header low-nibble values (V2Ray `SecurityType`). 0 parses as legacy; 2 (auto) and 6+ are refused. */
export const SECURITY_BYTE: Readonly<Record<WireSecurity, number>> = {
  "aes-128-cfb": 1,
  "aes-128-gcm": 3,
  "chacha20-poly1305": 4,
  "none": 5,
};

/** Request option bits. */
export const Option = {
  /** S: the body is chunked. */
  ChunkStream: 0x01,
  /** R: legacy connection reuse, ignored. */
  ConnectionReuse: 0x02,
  /** M: chunk sizes are masked with SHAKE128(IV). */
  ChunkMasking: 0x04,
  /** P: random padding per chunk; only valid with M. */
  GlobalPadding: 0x08,
  /** A: AEAD-sealed chunk lengths (V2Fly 4.41+, not 4.34). */
  AuthenticatedLength: 0x10,
} as const;

/** Request command. */
export type Command = "tcp" | "udp" | "mux";

/** Command byte values. */
export const COMMAND_BYTE: Readonly<Record<Command, number>> = { tcp: 1, udp: 2, mux: 3 };
