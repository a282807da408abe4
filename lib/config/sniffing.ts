/**
 * An inbound's `sniffing` and the routing conditions that use what it finds (`protocol`, `attrs`),
 * as V2Ray 4.34 reads them.
 */
import { z } from "zod";
import { stringList } from "./fields.ts";
import { configError, type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";
import { AttrsSyntaxError, compileAttrs } from "../attrs/mod.ts";

/** What `destOverride` may name: the sniffed protocols whose name replaces the destination. */
export const SNIFF_OVERRIDES = ["http", "tls"] as const;

/** A protocol whose sniffed name replaces the destination. */
export type SniffOverride = (typeof SNIFF_OVERRIDES)[number];

/**
 * `sniffing`: `enabled`, and `destOverride` ("http", "tls"; case-insensitive, "https" and "ssl"
 * mean "tls", as 4.34 reads them).
 */
export const sniffing = z.strictObject({
  enabled: z.boolean().default(false),
  destOverride: stringList.transform((list, ctx) => {
    const out: SniffOverride[] = [];
    for (const item of list) {
      const v = item.toLowerCase();
      if (v === "http") out.push("http");
      else if (v === "tls" || v === "https" || v === "ssl") out.push("tls");
      else {
        ctx.addIssue({ code: "custom", message: `${JSON.stringify(item)}: use "http" or "tls"` });
        return z.NEVER;
      }
    }
    return out;
  }).default([]),
});

/** Parsed sniffing settings. */
export type SniffingConfig = z.output<typeof sniffing>;

/**
 * The protocol names connections can carry here: what the sniffers find ("http1", "tls",
 * "bittorrent") and what the http inbound gives its plain requests ("http/1.1").
 */
export const ROUTABLE_PROTOCOLS = ["http1", "http/1.1", "tls", "bittorrent"] as const;

/**
 * Issues of a rule's `protocol` and `attrs`: an attrs expression that does not parse is an error
 * (4.34 refuses it too); a protocol no connection can carry here is a warning.
 */
export function sniffingRuleIssues(
  rule: { readonly protocol?: readonly string[]; readonly attrs?: string },
  path: JsonPath,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  (rule.protocol ?? []).forEach((p, i) => {
    // 4.34 matches a rule's protocol as a prefix of the connection's, and skips empty names.
    if (p !== "" && !ROUTABLE_PROTOCOLS.some((known) => known.startsWith(p))) {
      out.push(
        configWarning(
          [...path, "protocol", i],
          `${JSON.stringify(p)} never matches: connections carry "http", "tls" or "bittorrent"`,
        ),
      );
    }
  });
  if (rule.attrs !== undefined && rule.attrs !== "") {
    try {
      compileAttrs(rule.attrs);
    } catch (e) {
      if (!(e instanceof AttrsSyntaxError)) throw e;
      out.push(configError([...path, "attrs"], e.message));
    }
  }
  return out;
}
