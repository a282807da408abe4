/** Warnings for keys V2Ray acts on and we accept without acting on them (never silent). */
import { type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";
import type * as schema from "./schema.ts";
import type { z } from "zod";

const NOT_ACTED_ON = "is accepted but not acted on";

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? v as Record<string, unknown>
    : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/**
 * An outbound's inert keys: `mux` anywhere but on vmess (V2Ray would dial v1.mux.cool through
 * that protocol), a vmess user's `level` and `email` and freedom's `userLevel` (policy and stats
 * follow the inbound session), as written.
 */
export function outboundInertWarnings(
  ob: z.output<typeof schema.outbound>,
  path: JsonPath,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (ob.mux?.enabled && ob.protocol !== "vmess") {
    out.push(configWarning([...path, "mux"], "has effect only on vmess outbounds"));
  }
  const settings = record(ob.settings);
  const at = [...path, "settings"];
  if (ob.protocol === "vmess") {
    list(settings?.vnext).forEach((server, i) => {
      list(record(server)?.users).forEach((user, j) => {
        for (const k of ["level", "email"]) {
          if (record(user)?.[k] !== undefined) {
            out.push(configWarning([...at, "vnext", i, "users", j, k], NOT_ACTED_ON));
          }
        }
      });
    });
  } else if (ob.protocol === "freedom" && settings?.userLevel !== undefined) {
    out.push(configWarning([...at, "userLevel"], NOT_ACTED_ON));
  }
  return out;
}

/** The routing section's inert keys: `domainMatcher` (matching is always the same). */
export function routingInertWarnings(routing: schema.RoutingConfig | undefined): ConfigIssue[] {
  return routing?.domainMatcher !== undefined
    ? [configWarning(["routing", "domainMatcher"], NOT_ACTED_ON)]
    : [];
}
