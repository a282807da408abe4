/**
 * Checking the entries of routing rules' domain, ip and source lists as V2Ray 4.34 does, and
 * collecting their geoip/geosite references for resolution.
 */
import { ipBytes, parseCidr } from "../core/cidr.ts";
import { parseDomainEntry, parseIpRef, parseSiteRef } from "../geo/mod.ts";
import type { GeoUse } from "./geo_resolve.ts";
import { configError, type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";
import type { RuleConfig } from "./schema.ts";

function cidrProblem(v: string): string {
  const slash = v.indexOf("/");
  const addr = ipBytes(slash < 0 ? v : v.slice(0, slash));
  return addr
    ? `${JSON.stringify(v)}: the prefix length must be a number from 0 to ${addr.length * 8}`
    : `${JSON.stringify(v)} is not an IP address or a CIDR block`;
}

function checkDomain(v: string, path: JsonPath, out: ConfigIssue[], uses: GeoUse[]): void {
  const site = parseSiteRef(v);
  if (site) {
    if ("ref" in site) uses.push({ path, entry: v, ref: site.ref });
    else out.push(configError(path, `${JSON.stringify(v)}: ${site.problem}`));
    return;
  }
  if (/^(geoip|ext-ip):/.test(v)) {
    // 4.34 takes it as a plain keyword, which no real domain contains.
    out.push(
      configWarning(path, `${JSON.stringify(v)} belongs in "ip": here it is a plain keyword`),
    );
  }
  const p = parseDomainEntry(v);
  if ("problem" in p) out.push(configError(path, `${JSON.stringify(v)}: ${p.problem}`));
}

function checkIp(v: string, path: JsonPath, out: ConfigIssue[], uses: GeoUse[]): void {
  const ref = parseIpRef(v);
  if (ref) {
    if ("ref" in ref) uses.push({ path, entry: v, ref: ref.ref });
    else out.push(configError(path, `${JSON.stringify(v)}: ${ref.problem}`));
  } else if (/^(geosite|ext-domain):/.test(v)) {
    out.push(configError(path, `${JSON.stringify(v)} belongs in "domain", not in an IP list`));
  } else if (parseCidr(v) === null) out.push(configError(path, cidrProblem(v)));
}

/** Issues of rule `r`'s list entries (at `path`), and its geo references added to `uses`. */
export function checkRuleEntries(
  r: RuleConfig,
  path: JsonPath,
  out: ConfigIssue[],
  uses: GeoUse[],
): void {
  for (const key of ["domain", "domains"] as const) {
    (r[key] ?? []).forEach((v, j) => checkDomain(v, [...path, key, j], out, uses));
  }
  for (const key of ["ip", "source"] as const) {
    (r[key] ?? []).forEach((v, j) => checkIp(v, [...path, key, j], out, uses));
  }
}
