/** Bounds that keep one Mux.Cool connection, and each of its sub-connections, in check. */

/** The bounds of one underlying Mux.Cool connection. */
export interface MuxLimits {
  /** Live sub-connections at once; a New beyond it is answered End + Error (server). */
  readonly maxSubConnections: number;
  /** Bytes received for one sub-connection and not yet read before the reader waits for it. */
  readonly bufferBytes: number;
  /** How long the reader waits for a full sub-connection before ending it with Error, ms. */
  readonly stallMs: number;
}

/**
 * Defaults: 128 sub-connections (a 4.34 client opens at most 128 per connection), 512 KiB per
 * sub-connection (4.34's default per-connection buffer on 64-bit), a 5-s stall bound.
 */
export const DEFAULT_MUX_LIMITS: MuxLimits = {
  maxSubConnections: 128,
  bufferBytes: 512 * 1024,
  stallMs: 5000,
};

/** `partial` over the defaults. */
export function muxLimits(partial: Partial<MuxLimits> = {}): MuxLimits {
  return { ...DEFAULT_MUX_LIMITS, ...partial };
}
