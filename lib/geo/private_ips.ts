/** `geoip:private` without a data file. */
import { type Cidr, parseCidr } from "../core/cidr.ts";

/**
 * The PRIVATE tag of the geoip.dat that V2Ray 4.34 shipped with (v2fly/geoip as of late 2020):
 * IANA's special-purpose IPv4 blocks plus IPv6 loopback, unique-local and link-local. Used when no
 * geoip.dat is found, or when the one found has no PRIVATE tag.
 */
export const PRIVATE_RANGES: readonly string[] = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "255.255.255.255/32",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
];

/** PRIVATE_RANGES parsed. */
export const PRIVATE_CIDRS: readonly Cidr[] = PRIVATE_RANGES.map((r) => parseCidr(r)!);
