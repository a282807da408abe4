/**
 * Resolving names: the built-in DNS of a `dns` section (UDP and DoH name servers, hosts, a TTL
 * cache) and the system resolver used without one, behind one HostResolver contract.
 */
export type { HostResolver } from "./resolver_api.ts";
export { DnsLookupError, LOOKUP_FAILURES, type LookupFailure } from "./errors.ts";
export { DnsResolver, QUERY_TIMEOUT_MS, type ResolverOptions } from "./resolver.ts";
export { CACHE_ENTRIES, MAX_CACHE_TTL } from "./name_server.ts";
export { type FetchLike } from "./exchange.ts";
export { systemLookup, systemResolver } from "./system.ts";
