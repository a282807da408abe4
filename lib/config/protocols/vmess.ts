/** VMess inbound and outbound settings, V2Ray 4 field names and defaults. */
import { z } from "zod";
import { address, alterId, choice, level, port, uuid } from "../fields.ts";

/** Securities a VMess user may name (`zero` and `aes-128-cfb` for newer and older peers). */
export const vmessSecurity = choice(
  [
    "aes-128-gcm",
    "chacha20-poly1305",
    "auto",
    "none",
    "aes-128-cfb",
    "zero",
  ] as const,
);

/**
 * V2Fly 4.41+'s `experiments` ("AuthenticatedLength|NoTerminationSignal"): a client only sends
 * option A when its config asks; our server accepts it whenever a client sends it.
 */
export const vmessExperiments = z.string().superRefine((v, ctx) => {
  for (const e of v.split("|").map((s) => s.trim()).filter((s) => s !== "")) {
    if (e !== "AuthenticatedLength" && e !== "NoTerminationSignal") {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(e)} is not a known VMess experiment`,
      });
    }
  }
}).transform((v) => ({
  authenticatedLength: v.includes("AuthenticatedLength"),
  noTerminationSignal: v.includes("NoTerminationSignal"),
}));

/** One client of a VMess inbound. */
export const vmessClient = z.strictObject({
  id: uuid,
  level: level.default(0),
  alterId: alterId.default(0),
  email: z.string().optional(),
  // V2Ray's inbound ignores a client's security (the client chooses); accepted for compatibility.
  security: vmessSecurity.optional(),
  experiments: vmessExperiments.optional(),
});

/** VMess inbound settings. */
export const vmessInboundSettings = z.strictObject({
  clients: z.array(vmessClient).default([]),
  default: z.strictObject({ level: level.default(0), alterId: alterId.default(0) }).optional(),
  detour: z.strictObject({ to: z.string().min(1) }).optional(),
  disableInsecureEncryption: z.boolean().default(false),
});

/** One user of a VMess outbound server. */
export const vmessUser = z.strictObject({
  id: uuid,
  alterId: alterId.default(0),
  security: vmessSecurity.default("auto"),
  level: level.default(0),
  email: z.string().optional(),
  experiments: vmessExperiments.optional(),
});

/** VMess outbound settings: the servers to use. */
export const vmessOutboundSettings = z.strictObject({
  vnext: z.array(z.strictObject({
    address,
    port,
    users: z.array(vmessUser).min(1, "needs at least one user"),
  })).min(1, "needs at least one server"),
});

/** Parsed VMess inbound settings. */
export type VmessInboundSettings = z.infer<typeof vmessInboundSettings>;
/** Parsed VMess outbound settings. */
export type VmessOutboundSettings = z.infer<typeof vmessOutboundSettings>;
/** Parsed VMess inbound client. */
export type VmessClientConfig = z.infer<typeof vmessClient>;
/** Parsed VMess outbound user. */
export type VmessUserConfig = z.infer<typeof vmessUser>;
