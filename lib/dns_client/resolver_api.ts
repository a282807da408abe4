/** The contract the engine and outbounds resolve names through. */
import type { IpFamily } from "../dns/mod.ts";

/** Resolves domain names to IP literals. */
export interface HostResolver {
  /**
   * The addresses of `name` in `family` (for "ip": IPv4 ones first); rejects with DnsLookupError
   * when there are none.
   */
  lookup(name: string, family: IpFamily): Promise<string[]>;
}
