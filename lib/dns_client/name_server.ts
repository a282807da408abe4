/**
 * One configured name server: how it is asked (UDP, DoH or the system), its answers cached per
 * name and record type for their TTL, concurrent questions for the same record shared.
 */
import type { DnsServerConfig } from "../config/mod.ts";
import {
  type AddressType,
  buildQuery,
  type ClientSubnet,
  type DnsResponse,
  encodeName,
  ExpiringCache,
  RCODE,
  TYPE,
} from "../dns/mod.ts";
import { cidrContains, ipBytes } from "../core/cidr.ts";
import { addressKind } from "../core/destination.ts";
import { DnsLookupError, rcodeName } from "./errors.ts";
import { dohExchange, type Expected, type FetchLike, udpExchange } from "./exchange.ts";
import { familyTypes, systemQuery } from "./system.ts";
import type { IpFamily } from "../dns/mod.ts";

/** The longest an answer is cached, s: 4.34 never keeps one longer. */
export const MAX_CACHE_TTL = 600;

/** Entries a server's cache holds at most. */
export const CACHE_ENTRIES = 4096;

/** What a name server needs from its surroundings. */
export interface NameServerEnv {
  /** Milliseconds now (the cache's clock). */
  readonly now: () => number;
  /** A fresh 16-bit query id. */
  readonly queryId: () => number;
  /** How long one query may take, ms. */
  readonly timeoutMs: number;
  /** Used for DoH. */
  readonly fetch?: FetchLike;
}

// The outcome for one record type: addresses, or the response code of an answer without any.
type TypeResult = { readonly ips: readonly string[]; readonly rcode: number };

function clientSubnet(ip: string | undefined): ClientSubnet | undefined {
  const bytes = ip === undefined ? null : ipBytes(ip);
  // 4.34 sends /24 of an IPv4 address and /96 of an IPv6 one.
  return bytes ? { address: bytes, prefix: bytes.length === 4 ? 24 : 96 } : undefined;
}

/** A name server with its cache. */
export class NameServer {
  /** Its name in log lines. */
  readonly name: string;
  readonly #config: DnsServerConfig;
  readonly #env: NameServerEnv;
  readonly #subnet: ClientSubnet | undefined;
  readonly #cache = new ExpiringCache<TypeResult>(CACHE_ENTRIES);
  readonly #inflight = new Map<string, Promise<TypeResult>>();

  /** A server for `config`; `clientIp` is the section's (the server's own wins). */
  constructor(config: DnsServerConfig, env: NameServerEnv, clientIp?: string) {
    this.name = config.name;
    this.#config = config;
    this.#env = env;
    this.#subnet = clientSubnet(config.clientIp ?? clientIp);
  }

  /**
   * `name`'s addresses in `family` from this server (IPv4 first), kept to `expectIps` if set.
   * DnsLookupError when there are none: "timeout" if a record type got no answer in time.
   */
  async lookup(name: string, family: IpFamily): Promise<string[]> {
    const settled = await Promise.allSettled(familyTypes(family).map((t) => this.#type(name, t)));
    const ips = settled.flatMap((s) => s.status === "fulfilled" ? s.value.ips : []);
    if (ips.length > 0) return this.#expected(name, ips);
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    const rcode = settled.map((s) => (s as PromiseFulfilledResult<TypeResult>).value.rcode)
      .find((c) => c !== RCODE.NOERROR);
    if (rcode !== undefined) {
      throw new DnsLookupError("rcode", `${name}: ${rcodeName(rcode)} from ${this.name}`);
    }
    throw new DnsLookupError("empty", `${name}: no address from ${this.name}`);
  }

  #expected(name: string, ips: string[]): string[] {
    const cidrs = this.#config.expectIps;
    if (cidrs.length === 0) return ips;
    const kept = ips.filter((ip) => {
      const b = ipBytes(ip);
      return b !== null && cidrs.some((c) => cidrContains(c, b));
    });
    if (kept.length === 0) {
      throw new DnsLookupError("unexpected", `${name}: no answer of ${this.name} in expectIps`);
    }
    return kept;
  }

  // One record type: from the cache, from a question already on its way, or asked now.
  #type(name: string, type: AddressType): Promise<TypeResult> {
    const key = `${type} ${name.toLowerCase()}`;
    const cached = this.#cache.get(key, this.#env.now());
    if (cached) return Promise.resolve(cached);
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#ask(name, type, key).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    return p;
  }

  async #ask(name: string, type: AddressType, key: string): Promise<TypeResult> {
    const c = this.#config;
    if (c.kind === "unusable") throw new DnsLookupError("unreachable", c.why);
    if (c.kind === "localhost") {
      // The system keeps its own cache; its TTLs are not visible here.
      try {
        return { ips: await systemQuery(name, type, this.#env.timeoutMs), rcode: RCODE.NOERROR };
      } catch (e) {
        if (e instanceof DnsLookupError && e.failure === "empty") {
          return { ips: [], rcode: RCODE.NXDOMAIN };
        }
        throw e;
      }
    }
    try {
      encodeName(name);
    } catch (e) {
      throw new DnsLookupError("invalid", (e as Error).message, { cause: e });
    }
    const expected: Expected = { id: this.#env.queryId(), name, type: TYPE[type] };
    const query = buildQuery({ id: expected.id, name, type, clientSubnet: this.#subnet });
    const response = c.kind === "udp"
      ? await udpExchange(
        { host: await serverAddress(c.host), port: c.port },
        query,
        expected,
        this.#env.timeoutMs,
      )
      : await dohExchange(c.url, query, expected, this.#env.timeoutMs, this.#env.fetch);
    const result = resultOf(response, type);
    const ttl = cacheTtl(response, type);
    if (ttl > 0) {
      const now = this.#env.now();
      this.#cache.set(key, result, now + ttl * 1000, now);
    }
    return result;
  }
}

function resultOf(r: DnsResponse, type: AddressType): TypeResult {
  const ips = r.answers.filter((a) => a.type === type).map((a) => a.address);
  return { ips, rcode: r.rcode };
}

// Seconds `r` may be cached: the least TTL of its records (RFC 2181 §5.2), a negative answer by
// its SOA (RFC 2308), other failures not at all; never more than 4.34's 600 s.
function cacheTtl(r: DnsResponse, type: AddressType): number {
  const records = r.answers.filter((a) => a.type === type);
  let ttl: number | undefined;
  if (records.length > 0) ttl = Math.min(...records.map((a) => a.ttl));
  else if (r.rcode === RCODE.NOERROR || r.rcode === RCODE.NXDOMAIN) ttl = r.negativeTtl;
  return Math.min(ttl ?? 0, MAX_CACHE_TTL);
}

// A server given by name is found through the system resolver.
async function serverAddress(host: string): Promise<string> {
  if (addressKind(host) !== "domain") return host;
  const ips = await Deno.resolveDns(host, "A").catch(() => [] as string[]);
  if (ips.length === 0) {
    throw new DnsLookupError("unreachable", `cannot resolve the name server ${host}`);
  }
  return ips[0];
}
