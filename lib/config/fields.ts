/** Field schemas shared by the config sections: ports, levels, addresses, enums with clear refusals. */
import { z } from "zod";
import { isIPv4, isIPv6 } from "../core/destination.ts";

/** A TCP/UDP port 1..65535 (V2Ray also takes it as a numeric string). */
export const port = z.union([z.number(), z.string().regex(/^\d+$/, "not a port number")])
  .transform((v) => Number(v))
  .pipe(z.number().int().min(1).max(65535));

/** A user level (V2Ray's uint32). */
export const level = z.number().int().min(0).max(0xffff_ffff);

/** A legacy alterId count, 0..65535. */
export const alterId = z.number().int().min(0).max(65535);

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A UUID as V2Ray 4.34 parses it (32 hex digits, dashes optional), normalised to dashed lower case. */
export const uuid = z.string().regex(UUID, "not a UUID").transform((s) => {
  const h = s.replaceAll("-", "").toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});

const DOMAIN =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

/** An IPv4 or IPv6 literal or a domain name. */
export const address = z.string().refine(
  (s) => isIPv4(s) || isIPv6(s) || DOMAIN.test(s),
  "not an IP address or domain name",
);

/** An IPv4 or IPv6 literal. */
export const ipAddress = z.string().refine((s) => isIPv4(s) || isIPv6(s), "not an IP address");

/**
 * A string enum that names what we refuse: `supported` pass, `known` (V2Ray has them) fail with
 * `"x" is not supported`, anything else fails listing the supported values. Case-sensitive.
 */
export function choice<const T extends string>(
  supported: readonly T[],
  known: readonly string[] = [],
) {
  return z.string().superRefine((v, ctx) => {
    if ((supported as readonly string[]).includes(v)) return;
    ctx.addIssue({
      code: "custom",
      message: known.includes(v)
        ? `${JSON.stringify(v)} is not supported`
        : `${JSON.stringify(v)} is not one of ${
          supported.map((s) => JSON.stringify(s)).join(", ")
        }`,
    });
  }).transform((v) => v as T);
}

/** A string or a list of strings, as V2Ray's StringList; always a list after parsing. */
export const stringList = z.union([z.string(), z.array(z.string())]).transform((v) =>
  typeof v === "string" ? v.split(",").map((s) => s.trim()).filter((s) => s !== "") : v
);

/**
 * A V2Ray NetworkList: "tcp", "udp", both comma-separated in any order and case, or an array of
 * them; normalised to "tcp", "udp" or "tcp,udp".
 */
export const networkList = stringList.transform((list, ctx) => {
  const items = list.map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
  const bad = items.find((s) => s !== "tcp" && s !== "udp");
  if (bad !== undefined || items.length === 0) {
    ctx.addIssue({
      code: "custom",
      message: bad === undefined
        ? 'names no network (use "tcp", "udp" or "tcp,udp")'
        : `${JSON.stringify(bad)} is not a network: use "tcp", "udp" or "tcp,udp"`,
    });
    return z.NEVER;
  }
  const tcp = items.includes("tcp"), udp = items.includes("udp");
  return tcp && udp ? "tcp,udp" : tcp ? "tcp" : "udp";
});

/** A V2Ray PortRange: a number, "n", or "a-b"; parsed to {from, to}; 0 lets the OS choose. */
export const portRange = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === "number"
    ? [String(v), String(v)]
    : /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(v)?.slice(1);
  const from = m ? Number(m[0]) : NaN, to = m ? Number(m[1] ?? m[0]) : NaN;
  // Port 0 (the OS picks a free port, logged at start) is ours: tests and ephemeral setups.
  const ok = (from === 0 && to === 0) || (from >= 1 && to <= 65535 && from <= to);
  if (!Number.isInteger(from) || !Number.isInteger(to) || !ok) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(v)} is not a port or a port range "a-b" within 1..65535`,
    });
    return z.NEVER;
  }
  return { from, to };
});

/** A config value that V2Ray accepts and we parse but do not act on (a warning, never silent). */
export const inert = z.unknown();
