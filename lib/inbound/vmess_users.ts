/** A VMess inbound's configured clients as codec users. */
import type { VmessClientConfig } from "../config/mod.ts";
import { parseUuid, type VmessUser } from "../vmess/mod.ts";

/** The users of `clients` (ids were validated by the config loader). */
export function vmessUsers(clients: readonly VmessClientConfig[]): VmessUser[] {
  return clients.map((c) => ({
    id: parseUuid(c.id)!,
    alterId: c.alterId,
    level: c.level,
    email: c.email ?? "",
  }));
}
