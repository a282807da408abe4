/**
 * DNS, the pure part: the message codec (A/AAAA queries, responses), domain rules, the hosts table,
 * the order servers are asked in, and an expiring cache. No sockets and no clock.
 */
export {
  ADDRESS_TYPES,
  type AddressAnswer,
  type AddressType,
  buildQuery,
  type ClientSubnet,
  DnsFormatError,
  type DnsResponse,
  EDNS_UDP_SIZE,
  encodeName,
  parseResponse,
  type QuerySpec,
  RCODE,
  TYPE,
} from "./message.ts";
export {
  DOMAIN_RULE_KINDS,
  type DomainRule,
  DomainRuleGroup,
  type DomainRuleKind,
  parseDomainRule,
} from "./domain_rule.ts";
export {
  type HostsAnswer,
  type HostsEntry,
  inFamily,
  IP_FAMILIES,
  type IpFamily,
  StaticHosts,
} from "./hosts.ts";
export { LOCAL_NAME_RULES, ServerOrder } from "./server_order.ts";
export { ExpiringCache } from "./cache.ts";
