/** HTTP proxy inbound settings (V2Ray 4 field names). */
import { z } from "zod";
import { level } from "../fields.ts";
import { account } from "./socks.ts";

/** HTTP inbound settings. */
export const httpInboundSettings = z.strictObject({
  timeout: z.number().int().min(0).default(300),
  accounts: z.array(account).default([]),
  allowTransparent: z.boolean().default(false),
  userLevel: level.default(0),
});

/** Parsed HTTP inbound settings. */
export type HttpInboundSettings = z.infer<typeof httpInboundSettings>;
