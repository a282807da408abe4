/**
 * The built-in DNS of a `dns` section, as V2Ray 4.34's: the hosts table first, then the servers
 * (those whose `domains` match the name first, then the others in order). The next server is
 * asked only when one times out, cannot be reached, or answers outside its `expectIps`; an answer
 * such as NXDOMAIN ends the lookup. With no servers, the system resolves what hosts does not.
 */
import type { DnsConfig } from "../config/mod.ts";
import {
  type DomainRule,
  inFamily,
  type IpFamily,
  LOCAL_NAME_RULES,
  ServerOrder,
  StaticHosts,
} from "../dns/mod.ts";
import { addressKind } from "../core/destination.ts";
import type { Logger } from "../log/mod.ts";
import { randomInt } from "../core/bytes.ts";
import { DnsLookupError } from "./errors.ts";
import type { FetchLike } from "./exchange.ts";
import { NameServer } from "./name_server.ts";
import type { HostResolver } from "./resolver_api.ts";
import { systemLookup } from "./system.ts";

/** How long one server may take to answer, ms (4.34's). */
export const QUERY_TIMEOUT_MS = 4000;

/** Knobs of the resolver beyond its config (tests replace the clock and the fetch). */
export interface ResolverOptions {
  /** Milliseconds now, for cache expiry (default Date.now). */
  readonly now?: () => number;
  /** How long one server may take, ms (default QUERY_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** The fetch DoH servers use. */
  readonly fetch?: FetchLike;
}

/** The resolver of a `dns` section. */
export class DnsResolver implements HostResolver {
  readonly #hosts: StaticHosts;
  readonly #servers: NameServer[];
  readonly #order: ServerOrder;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #tag: string;

  /** A resolver for `config`, logging to `logger`. */
  constructor(config: DnsConfig, logger: Logger, options: ResolverOptions = {}) {
    const env = {
      now: options.now ?? Date.now,
      queryId: () => randomInt(0x10000),
      timeoutMs: options.timeoutMs ?? QUERY_TIMEOUT_MS,
      fetch: options.fetch,
    };
    this.#hosts = new StaticHosts(config.hosts);
    this.#servers = config.servers.map((s) => new NameServer(s, env, config.clientIp));
    // 4.34 sends local names (dotless, .local, .lan, …) to a "localhost" server first.
    this.#order = new ServerOrder(
      config.servers.map((s): readonly DomainRule[] =>
        s.kind === "localhost" ? [...s.domains, ...LOCAL_NAME_RULES] : s.domains
      ),
    );
    this.#logger = logger;
    this.#timeoutMs = env.timeoutMs;
    this.#tag = config.tag ? `dns ${config.tag}` : "dns";
  }

  /** `name`'s addresses in `family`: hosts, then the servers in 4.34's order. */
  async lookup(name: string, family: IpFamily): Promise<string[]> {
    let domain = name.endsWith(".") ? name.slice(0, -1) : name;
    if (domain === "") throw new DnsLookupError("invalid", "empty domain name");
    if (addressKind(domain) !== "domain") {
      if (inFamily(domain, family)) return [domain];
      throw new DnsLookupError("empty", `${domain} is not an ${family} address`);
    }
    const h = this.#hosts.lookup(domain, family);
    if (h.kind === "ips") {
      if (h.ips.length === 0) {
        throw new DnsLookupError("empty", `${domain}: hosts has no ${family} address`);
      }
      return [...h.ips];
    }
    if (h.kind === "domain") {
      this.#logger.debug(`${this.#tag}: ${domain} replaced by ${h.domain} (hosts)`);
      domain = h.domain;
    }
    if (this.#servers.length === 0) return await systemLookup(domain, family, this.#timeoutMs);
    const errors: [string, DnsLookupError][] = [];
    for (const i of this.#order.order(domain)) {
      const server = this.#servers[i];
      try {
        const ips = await server.lookup(domain, family);
        this.#logger.debug(`${this.#tag}: ${domain} -> ${ips.join(" ")} (${server.name})`);
        return ips;
      } catch (e) {
        if (!(e instanceof DnsLookupError)) throw e;
        this.#logger.info(`${this.#tag}: ${domain} at ${server.name}: ${e.message}`);
        if (!e.tryNext) throw e;
        errors.push([server.name, e]);
      }
    }
    throw new DnsLookupError(
      errors[errors.length - 1][1].failure,
      `${domain}: no server answered (${errors.map(([n, e]) => `${n}: ${e.message}`).join("; ")})`,
    );
  }
}
