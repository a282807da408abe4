/** Why a sub-connection ended abnormally. */
import { DenorayError } from "../core/errors.ts";

/** Every way a sub-connection can be cut short. */
export const MUX_ERROR_CODES = [
  /** The peer sent End with the Error bit, or a second End (it refuses our data). */
  "peer-abort",
  /** Its receive buffer stayed full longer than the stall bound; it was ended with Error. */
  "stalled",
  /** The underlying connection ended or failed before the peer ended the sub-connection. */
  "connection-lost",
  /** Used after it was closed or its sending side was ended. */
  "closed",
] as const;

/** One of MUX_ERROR_CODES. */
export type MuxErrorCode = typeof MUX_ERROR_CODES[number];

/** A sub-connection's failure, as its reader or writer sees it. */
export class MuxError extends DenorayError {
  declare readonly code: MuxErrorCode;

  /** A failure of kind `code`. */
  constructor(code: MuxErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
