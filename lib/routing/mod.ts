/** Routing: picks the outbound for a session and destination. */
import type { RoutingConfig } from "../config/mod.ts";
import type { Destination } from "../core/destination.ts";
import type { Session } from "../core/session.ts";

/** Chooses an outbound tag; null means the default (first) outbound. */
export interface Router {
  /** The tag of the outbound for this session and destination, or null for the default. */
  route(session: Session, destination: Destination): string | null;
}

/** A router for `config` (rules are matched in order; the first match wins). */
export function createRouter(_config: RoutingConfig): Router {
  return { route: () => null };
}
