/** What the engine knows about one proxied connection while routing and relaying it. */
import type { Destination } from "./destination.ts";

/** The user a connection authenticated as (VMess, SOCKS or HTTP accounts). */
export interface SessionUser {
  /** The user's email (V2Ray's stats and routing key); may be empty. */
  readonly email: string;
  /** Policy level. */
  readonly level: number;
}

/** Where a client connected from. */
export interface SourceAddress {
  /** An IP literal (IPv6 without brackets). */
  readonly address: string;
  /** The client's port (0 when a proxy in front told us only its address). */
  readonly port: number;
}

/** One inbound connection (or UDP association) on its way through the engine. */
export interface Session {
  /** A short id for log lines. */
  readonly id: number;
  /** The inbound's tag ("" if untagged). */
  readonly inboundTag: string;
  /** Where the client connected from. */
  readonly source: SourceAddress;
  /** The authenticated user, if the inbound has users. */
  readonly user?: SessionUser;
  /**
   * The application protocol, when known: sniffed ("http1", "tls", "bittorrent") or given by the
   * inbound ("http/1.1" for the http inbound's plain requests). Routing's `protocol` is a prefix.
   */
  readonly protocol?: string;
  /** The request's attributes (":method", ":path", headers) for routing's `attrs`, if any. */
  readonly attributes?: ReadonlyMap<string, string>;
}

let nextId = 1;

/** A fresh session id. */
export function nextSessionId(): number {
  return nextId++;
}

/** A route's chosen target and the tag of the outbound to use. */
export interface RouteDecision {
  /** The outbound tag. */
  readonly outboundTag: string;
  /** The destination after routing (unchanged unless a strategy resolved it). */
  readonly destination: Destination;
}
