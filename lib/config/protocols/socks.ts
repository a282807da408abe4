/** SOCKS inbound settings (V2Ray 4 field names). */
import { z } from "zod";
import { choice, ipAddress, level } from "../fields.ts";

/** A user/password pair. */
export const account = z.strictObject({ user: z.string(), pass: z.string() });

/** SOCKS inbound settings. */
export const socksInboundSettings = z.strictObject({
  auth: choice(["noauth", "password"] as const).default("noauth"),
  accounts: z.array(account).default([]),
  udp: z.boolean().default(false),
  ip: ipAddress.optional(),
  userLevel: level.default(0),
  // Seconds; as http's (V2Ray 4.34 reads it and calls it deprecated).
  timeout: z.number().int().min(0).optional(),
});

/** Parsed SOCKS inbound settings. */
export type SocksInboundSettings = z.infer<typeof socksInboundSettings>;
