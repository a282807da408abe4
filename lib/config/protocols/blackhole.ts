/** blackhole outbound settings (V2Ray 4 field names). */
import { z } from "zod";
import { choice } from "../fields.ts";

/** blackhole outbound settings. */
export const blackholeOutboundSettings = z.strictObject({
  response: z.strictObject({ type: choice(["none", "http"] as const).default("none") }).optional(),
});

/** Parsed blackhole outbound settings. */
export type BlackholeOutboundSettings = z.infer<typeof blackholeOutboundSettings>;
