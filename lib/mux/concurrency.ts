/** An outbound's `mux` object read as V2Ray 4.34 reads it (infra/conf `MuxConfig`, outbound handler). */

/** Sub-connections per underlying connection when `concurrency` is 0 or absent. */
export const DEFAULT_MUX_CONCURRENCY = 8;
/** Largest concurrency 4.34's outbound handler accepts. */
export const MAX_MUX_CONCURRENCY = 1024;

/** An outbound's `mux` object as written in the config. */
export interface MuxConfig {
  /** Use mux for this outbound. */
  readonly enabled?: boolean;
  /** Sub-connections at once per underlying connection; negative turns mux off. */
  readonly concurrency?: number;
}

/**
 * What the `mux` object means: "off" when it is absent or its concurrency is negative (4.34 then
 * builds no mux at all, even with `enabled: true`); "on" with the resolved concurrency (0 → 8);
 * "invalid" with a message when 4.34 would refuse the config (not a 16-bit integer, or over 1024,
 * which 4.34 checks even when `enabled` is false).
 */
export type MuxSetting =
  | { readonly kind: "off" }
  | { readonly kind: "on"; readonly enabled: boolean; readonly concurrency: number }
  | { readonly kind: "invalid"; readonly message: string };

/** Reads an outbound's `mux` object (undefined when the outbound has none). */
export function readMuxSetting(mux: MuxConfig | undefined): MuxSetting {
  if (mux === undefined) return { kind: "off" };
  const c = mux.concurrency ?? 0;
  // 4.34 unmarshals it into an int16: fractions and larger values fail to parse.
  if (!Number.isInteger(c) || c < -32768 || c > 32767) {
    return { kind: "invalid", message: `concurrency ${c} is not a 16-bit integer` };
  }
  if (c < 0) return { kind: "off" };
  const concurrency = c === 0 ? DEFAULT_MUX_CONCURRENCY : c;
  if (concurrency > MAX_MUX_CONCURRENCY) {
    return { kind: "invalid", message: `invalid mux concurrency ${c} (1 to 1024)` };
  }
  return { kind: "on", enabled: mux.enabled ?? false, concurrency };
}
