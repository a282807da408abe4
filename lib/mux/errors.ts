/** The typed error for a Mux.Cool stream that breaks the protocol. */
import { ProtocolError } from "../core/errors.ts";

/** Every way a Mux.Cool peer can break the protocol. */
export const MUX_PROTOCOL_ERROR_CODES = [
  /** A metadata length over 512 (4.34's limit) or under 4. */
  "bad-length",
  /** Metadata too short for what its status needs, or an address that overruns it. */
  "truncated",
  /** A status byte other than New, Keep, End, KeepAlive. */
  "bad-status",
  /** A network byte other than TCP (1) or UDP (2). */
  "bad-network",
  /** An address type other than 1, 2, 3, or an empty or invalid domain. */
  "bad-address",
  /** A New for a session id that the peer still has open. */
  "id-reuse",
] as const;

/** One of MUX_PROTOCOL_ERROR_CODES. */
export type MuxProtocolErrorCode = typeof MUX_PROTOCOL_ERROR_CODES[number];

/** A protocol violation on a Mux.Cool stream: that one underlying connection is closed. */
export class MuxProtocolError extends ProtocolError {
  declare readonly code: MuxProtocolErrorCode;

  /** A violation of kind `code`. */
  constructor(code: MuxProtocolErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
