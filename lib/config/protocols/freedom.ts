/** freedom outbound settings (V2Ray 4 field names). */
import { z } from "zod";
import { choice, level } from "../fields.ts";

/** freedom outbound settings. */
export const freedomOutboundSettings = z.strictObject({
  domainStrategy: choice(["AsIs", "UseIP", "UseIPv4", "UseIPv6"] as const).default("AsIs"),
  redirect: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'not "host:port"')
    .optional(),
  userLevel: level.default(0),
});

/** Parsed freedom outbound settings. */
export type FreedomOutboundSettings = z.infer<typeof freedomOutboundSettings>;
