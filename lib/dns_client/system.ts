/** The system resolver (Deno.resolveDns), as names were resolved before the built-in DNS. */
import type { AddressType, IpFamily } from "../dns/mod.ts";
import { DnsLookupError } from "./errors.ts";
import type { HostResolver } from "./resolver_api.ts";

/** The record types a family asks for, IPv4 first. */
export function familyTypes(family: IpFamily): AddressType[] {
  return family === "ipv4" ? ["A"] : family === "ipv6" ? ["AAAA"] : ["A", "AAAA"];
}

/** One record type through the system resolver; `timeoutMs` bounds it. */
export async function systemQuery(
  name: string,
  type: AddressType,
  timeoutMs?: number,
): Promise<string[]> {
  try {
    const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    return await Deno.resolveDns(name, type, { signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === "TimeoutError") {
      throw new DnsLookupError("timeout", `${name}: the system resolver did not answer in time`);
    }
    if (e instanceof Deno.errors.NotFound) {
      throw new DnsLookupError("empty", `${name}: no ${type} record`, { cause: e });
    }
    throw new DnsLookupError("rcode", `${name}: ${(e as Error).message}`, { cause: e });
  }
}

/** Every family's records from the system resolver, queried together; IPv4 first. */
export async function systemLookup(
  name: string,
  family: IpFamily,
  timeoutMs?: number,
): Promise<string[]> {
  const results = await Promise.allSettled(
    familyTypes(family).map((t) => systemQuery(name, t, timeoutMs)),
  );
  const ips = results.flatMap((r) => r.status === "fulfilled" ? r.value : []);
  if (ips.length > 0) return ips;
  const failed = results.find((r) => r.status === "rejected");
  throw failed?.reason ?? new DnsLookupError("empty", `${name}: no address`);
}

/** The resolver without a `dns` section: the system's, with no timeout of its own. */
export const systemResolver: HostResolver = {
  lookup: (name, family) => systemLookup(name, family),
};
