/**
 * String values V2Ray 4.34 reads case-insensitively (it lower-cases them before comparing), its
 * aliases, and the values it silently replaces with a default: here they read the same, and a
 * replaced value is a warning instead of silence. Rules are by JSON path, so no section's schema
 * has to know about them.
 */
import { type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";

/** A path pattern: keys, with "*" for any array index. */
type Pattern = readonly string[];

/** How one path's string value is read. */
export interface EnumRule {
  /** Where the value is (relative to the section parsed). */
  readonly path: Pattern;
  /** The spellings we use; a value equal ignoring case reads as it. Empty: just lower-case. */
  readonly values: readonly string[];
  /** Other spellings (lower case) 4.34 takes, and what they mean. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** What 4.34 uses for any other value; without it other values are left for the schema. */
  readonly fallback?: string;
  /** 4.34 compares exactly (no lower-casing): a value in another case takes the fallback. */
  readonly exact?: boolean;
}

const STREAMS = ["inbounds", "outbounds"].flatMap((side) => {
  const at = (...p: string[]): Pattern => [side, "*", "streamSettings", ...p];
  return [
    at("network"),
    at("security"),
    at("tcpSettings", "header", "type"),
    at("kcpSettings", "header", "type"),
    at("quicSettings", "header", "type"),
    at("quicSettings", "security"),
    at("tlsSettings", "certificates", "*", "usage"),
  ].map((path): EnumRule => ({ path, values: [] }));
});

// The global `transport` holds the same per-transport settings.
const TRANSPORT = [
  ["transport", "tcpSettings", "header", "type"],
  ["transport", "kcpSettings", "header", "type"],
  ["transport", "quicSettings", "header", "type"],
  ["transport", "quicSettings", "security"],
].map((path): EnumRule => ({ path, values: [] }));

/** Rules for the whole config (section root). */
export const ROOT_ENUMS: readonly EnumRule[] = [
  {
    path: ["log", "loglevel"],
    values: ["debug", "info", "warning", "error", "none"],
    fallback: "warning",
  },
  { path: ["inbounds", "*", "protocol"], values: [] },
  { path: ["outbounds", "*", "protocol"], values: [] },
  { path: ["inbounds", "*", "allocate", "strategy"], values: ["always", "random"] },
  {
    path: ["routing", "domainStrategy"],
    values: ["AsIs", "IPIfNonMatch", "IPOnDemand", "AlwaysIP"],
    aliases: {
      "ip_if_non_match": "IPIfNonMatch",
      "ip-if-non-match": "IPIfNonMatch",
      "ip_on_demand": "IPOnDemand",
      "ip-on-demand": "IPOnDemand",
      "always_ip": "AlwaysIP",
      "always-ip": "AlwaysIP",
    },
    fallback: "AsIs",
  },
  { path: ["routing", "rules", "*", "type"], values: ["field"] },
  ...STREAMS,
  ...TRANSPORT,
];

const VMESS_SECURITY = ["aes-128-gcm", "chacha20-poly1305", "auto", "none", "zero", "aes-128-cfb"];

/** Rules for a protocol's `settings`, by direction and protocol. */
export const SETTINGS_ENUMS: Readonly<Record<string, readonly EnumRule[]>> = {
  "inbound socks": [{
    path: ["auth"],
    values: ["noauth", "password"],
    exact: true,
    fallback: "noauth",
  }],
  "inbound vmess": [{
    path: ["clients", "*", "security"],
    values: VMESS_SECURITY,
    fallback: "auto",
  }],
  "outbound vmess": [
    { path: ["vnext", "*", "users", "*", "security"], values: VMESS_SECURITY, fallback: "auto" },
  ],
  "outbound freedom": [{
    path: ["domainStrategy"],
    values: ["AsIs", "UseIP", "UseIPv4", "UseIPv6"],
    aliases: {
      "use_ip": "UseIP",
      "useip4": "UseIPv4",
      "use_ipv4": "UseIPv4",
      "use_ip_v4": "UseIPv4",
      "use_ip4": "UseIPv4",
      "useip6": "UseIPv6",
      "use_ipv6": "UseIPv6",
      "use_ip_v6": "UseIPv6",
      "use_ip6": "UseIPv6",
    },
    fallback: "AsIs",
  }],
  "outbound blackhole": [{ path: ["response", "type"], values: [] }],
};

function read(rule: EnumRule, v: string): string | undefined {
  if (rule.values.length === 0) return v.toLowerCase();
  if (rule.exact) return rule.values.includes(v) ? v : undefined;
  const lower = v.toLowerCase();
  return rule.values.find((c) => c.toLowerCase() === lower) ?? rule.aliases?.[lower];
}

function visit(
  node: unknown,
  pattern: Pattern,
  at: JsonPath,
  fn: (parent: Record<string, unknown>, key: string, path: JsonPath) => void,
): void {
  if (typeof node !== "object" || node === null) return;
  const [head, ...rest] = pattern;
  if (head === "*") {
    if (Array.isArray(node)) node.forEach((v, i) => visit(v, rest, [...at, i], fn));
    return;
  }
  if (Array.isArray(node)) return;
  const obj = node as Record<string, unknown>;
  if (rest.length === 0) {
    if (head in obj) fn(obj, head, [...at, head]);
  } else visit(obj[head], rest, [...at, head], fn);
}

/**
 * Rewrites, in place, each string value a rule covers to the spelling the schema takes; a value
 * 4.34 would silently replace is replaced with its fallback and warned about.
 */
export function normaliseEnums(
  data: unknown,
  rules: readonly EnumRule[],
  prefix: JsonPath,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const rule of rules) {
    visit(data, rule.path, prefix, (parent, key, path) => {
      const v = parent[key];
      if (typeof v !== "string") return;
      const known = read(rule, v);
      if (known !== undefined) parent[key] = known;
      else if (rule.fallback !== undefined) {
        parent[key] = rule.fallback;
        issues.push(
          configWarning(
            path,
            `${JSON.stringify(v)} is not one of ${
              rule.values.map((c) => JSON.stringify(c)).join(", ")
            }${rule.exact ? " (case matters here)" : ""}: read as ${
              JSON.stringify(rule.fallback)
            }, as V2Ray 4.34 does`,
          ),
        );
      }
    });
  }
  return issues;
}
