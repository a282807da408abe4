/** HTTP proxy inbound settings (V2Ray 4 field names). */
import { z } from "zod";
import { level } from "../fields.ts";
import { account } from "./socks.ts";

/** HTTP inbound settings. */
export const httpInboundSettings = z.strictObject({
  // Seconds; V2Ray's default is 0 (unset): level userLevel's connIdle applies.
  timeout: z.number().int().min(0).optional(),
  accounts: z.array(account).default([]),
  allowTransparent: z.boolean().default(false),
  userLevel: level.default(0),
});

/** Parsed HTTP inbound settings. */
export type HttpInboundSettings = z.infer<typeof httpInboundSettings>;
