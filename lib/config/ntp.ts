/**
 * The `ntp` section, with sing-box's names (V2Ray 4 has none): `enabled`, `server`,
 * `server_port` (123) and `interval` (a Go duration string, "30m"). When enabled, denoray keeps
 * its own offset from that server for VMess timestamps; it never sets the system clock.
 */
import { z } from "zod";
import { address, port } from "./fields.ts";

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration ("30m", "1h30m", "1.5s") in ms, or null if it is not one. */
export function parseGoDuration(s: string): number | null {
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0, end = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    end = re.lastIndex;
  }
  return end === s.length && end > 0 ? total : null;
}

/** A Go duration string, at least one second, as ms. */
export const duration = z.string().transform((s, ctx) => {
  const ms = parseGoDuration(s);
  if (ms === null || ms < 1000) {
    ctx.addIssue({
      code: "custom",
      message: ms === null
        ? `${JSON.stringify(s)} is not a duration like "30m", "1h" or "90s"`
        : `${JSON.stringify(s)} is shorter than 1s`,
    });
    return z.NEVER;
  }
  return ms;
});

/** The `ntp` section; `interval` comes out in ms. */
export const ntp = z.strictObject({
  enabled: z.boolean().default(false),
  server: address.optional(),
  server_port: port.default(123),
  // sing-box's default, "30m".
  interval: duration.default(30 * 60_000),
  write_to_system: z.literal(false, {
    error: "true is not supported: denoray corrects its own clock, never the system's",
  }).optional(),
}).superRefine((v, ctx) => {
  if (v.enabled && v.server === undefined) {
    ctx.addIssue({ code: "custom", path: ["server"], message: "is required when enabled" });
  }
});

/** The parsed `ntp` section. */
export type NtpConfig = z.output<typeof ntp>;
