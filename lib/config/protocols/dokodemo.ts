/** dokodemo-door inbound settings (V2Ray 4 field names). */
import { z } from "zod";
import { address, level, networkList, port } from "../fields.ts";

/** dokodemo-door inbound settings. */
export const dokodemoInboundSettings = z.strictObject({
  // V2Ray 4.34 lets both be missing only with followRedirect, which is refused.
  address,
  port,
  network: networkList.default("tcp"),
  timeout: z.number().int().min(0).optional(),
  followRedirect: z.literal(false, { error: "true (transparent proxy) is not supported" })
    .optional(),
  userLevel: level.default(0),
});

/** Parsed dokodemo-door inbound settings. */
export type DokodemoInboundSettings = z.infer<typeof dokodemoInboundSettings>;
