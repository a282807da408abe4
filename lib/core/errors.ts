/** Error classes with a stable `code`, so callers branch on kind, not on message text. */

/** Base of every denoray error. */
export class DenorayError extends Error {
  /** A stable machine-readable kind. */
  readonly code: string;
  /** An error of kind `code`. */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad bytes from the network: the connection is closed, the process goes on. */
export class ProtocolError extends DenorayError {
  /** A protocol violation of kind `code` (e.g. "bad-auth", "bad-chunk"). */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
