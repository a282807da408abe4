/**
 * `streamSettings` and the global `transport` object as V2Ray 4.34 reads them
 * (infra/conf/transport_internet.go, transport.go), resolved to one typed value per inbound or
 * outbound: the transport (a union on `network`), TLS, PROXY protocol and socket options, with
 * 4.34's defaults and fallbacks. What we do not implement is an error naming its JSON path.
 */
import { z } from "zod";
import { configError, type ConfigIssue, configWarning, type JsonPath } from "./issues.ts";
import { stringList } from "./fields.ts";
import { type HttpHeaderSettings, httpHeaderSettings } from "../http_header/mod.ts";
import { RESERVED_HEADERS } from "../ws/mod.ts";
import { parseCidr } from "../core/cidr.ts";

/** V2Ray's StringList where values are bytes on the wire: `"a,b"` splits on commas, untrimmed. */
const goStringList = z.union([z.string().transform((s) => s.split(",")), z.array(z.string())]);

const httpRequest = z.strictObject({
  version: z.string().optional(),
  method: z.string().optional(),
  path: goStringList.optional(),
  headers: z.record(z.string(), goStringList).optional(),
});

const httpResponse = z.strictObject({
  version: z.string().optional(),
  status: z.string().optional(),
  reason: z.string().optional(),
  headers: z.record(z.string(), goStringList).optional(),
});

/** tcpSettings. */
export const tcpSettings = z.strictObject({
  header: z.strictObject({
    type: z.string().optional(),
    request: httpRequest.optional(),
    response: httpResponse.optional(),
  }).optional(),
  acceptProxyProtocol: z.boolean().optional(),
});

/** wsSettings: 4.34's four keys, plus V2Fly's later early-data keys as a superset. */
export const wsSettings = z.strictObject({
  path: z.string().optional(),
  // The old misspelled key, used when `path` is empty (4.34 keeps it for compatibility).
  Path: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  acceptProxyProtocol: z.boolean().optional(),
  maxEarlyData: z.number().int().min(0).max(0x7fff_ffff).optional(),
  earlyDataHeaderName: z.string().optional(),
  useBrowserForwarding: z.boolean().optional(),
});

/** httpSettings (HTTP/2). */
export const httpSettings = z.strictObject({
  host: stringList.optional(),
  path: z.string().optional(),
});

/** One of tlsSettings.certificates. */
export const certificate = z.strictObject({
  certificateFile: z.string().optional(),
  certificate: z.array(z.string()).optional(),
  keyFile: z.string().optional(),
  key: z.array(z.string()).optional(),
  usage: z.string().optional(),
});

/** tlsSettings, 4.34's keys. */
export const tlsSettings = z.strictObject({
  allowInsecure: z.boolean().optional(),
  certificates: z.array(certificate).optional(),
  serverName: z.string().optional(),
  alpn: stringList.optional(),
  enableSessionResumption: z.boolean().optional(),
  disableSystemRoot: z.boolean().optional(),
});

/** sockopt. */
export const sockopt = z.strictObject({
  mark: z.number().int().min(-0x8000_0000).max(0x7fff_ffff).optional(),
  tcpFastOpen: z.boolean().optional(),
  tproxy: z.string().optional(),
  acceptProxyProtocol: z.boolean().optional(),
  // Xray's key (denoray honours it on WebSocket inbounds): whose X-Forwarded-For is believed.
  trustedXForwardedFor: stringList.optional(),
});

// Transports we refuse are validated only as far as being objects.
const refusedTransport = z.record(z.string(), z.unknown());

/** The per-transport settings that streamSettings and the global `transport` share. */
const transportKeys = {
  tcpSettings: tcpSettings.optional(),
  kcpSettings: refusedTransport.optional(),
  wsSettings: wsSettings.optional(),
  httpSettings: httpSettings.optional(),
  dsSettings: refusedTransport.optional(),
  quicSettings: refusedTransport.optional(),
};

/** streamSettings as written. */
export const streamSettings = z.strictObject({
  network: z.string().optional(),
  security: z.string().optional(),
  tlsSettings: tlsSettings.optional(),
  ...transportKeys,
  sockopt: sockopt.optional(),
});

/** The global `transport` object: fallbacks for the per-transport settings. */
export const globalTransport = z.strictObject(transportKeys);

/** Parsed streamSettings, before resolution. */
export type StreamSettingsConfig = z.output<typeof streamSettings>;
/** Parsed global transport, before resolution. */
export type GlobalTransportConfig = z.output<typeof globalTransport>;

/** A transport we implement (`network` after aliases). */
export type StreamNetwork = "tcp" | "ws";

/** Plain TCP, with the optional fake HTTP head (tcpSettings.header.type "http"). */
export interface TcpStreamSettings {
  /** Discriminant. */
  readonly network: "tcp";
  /** The HTTP header settings with 4.34's defaults, or null for header type "none". */
  readonly httpHeader: HttpHeaderSettings | null;
}

/** WebSocket (`ws`/`websocket`). */
export interface WsStreamSettings {
  /** Discriminant. */
  readonly network: "ws";
  /** The path: leading `/`, "" as `/`, Xray's `ed` taken out of its query. */
  readonly path: string;
  /** wsSettings.headers in config order (a `Host` entry sets the Host header). */
  readonly headers: readonly (readonly [string, string])[];
  /** Xray's `?ed=N` from the path (client: the whole first write if ≤ N); 0 when absent. */
  readonly xrayEarlyData: number;
  /** V2Fly's maxEarlyData (0: off). */
  readonly maxEarlyData: number;
  /** V2Fly's earlyDataHeaderName ("" : the path-suffix form). */
  readonly earlyDataHeaderName: string;
}

/** Where a PEM comes from: a file (read when the layer starts) or inline lines joined by "\n". */
export type PemSource = { readonly file: string } | { readonly inline: string };

/** One TLS certificate. */
export interface TlsCertificate {
  /** The certificate (chain) PEM. */
  readonly certificate: PemSource;
  /** The private key PEM, if given. */
  readonly key: PemSource | null;
  /** encipherment: a keypair to serve (or a client certificate); verify: an extra trust anchor. */
  readonly usage: "encipherment" | "verify";
}

/** TLS settings with 4.34's defaults. */
export interface TlsSettings {
  /** SNI and name to verify; null: the destination's domain (an IP gives no SNI). */
  readonly serverName: string | null;
  /** ALPN; null: the transport's default (WebSocket http/1.1; else h2, http/1.1). */
  readonly alpn: readonly string[] | null;
  /** Client: skip certificate verification. */
  readonly allowInsecure: boolean;
  /** Client: trust only `certificates`, not the system roots. */
  readonly disableSystemRoot: boolean;
  /** Session tickets (parsed; Deno has no switch for them). */
  readonly enableSessionResumption: boolean;
  /** Certificates in config order. */
  readonly certificates: readonly TlsCertificate[];
}

/** Socket options we can know of; none of them has a Deno API. */
export interface SocketOptions {
  /** SO_MARK (0: none). */
  readonly mark: number;
  /** TCP Fast Open forced on or off; null: the system's default. */
  readonly tcpFastOpen: boolean | null;
  /**
   * WebSocket inbound: the proxies (IPs or CIDRs) whose X-Forwarded-For names the client; null
   * (the key absent): every peer's, as 4.34 does.
   */
  readonly trustedXForwardedFor: readonly string[] | null;
}

/** The resolved stream settings of one inbound or outbound, ready for its layer stack. */
export type StreamSettings = (TcpStreamSettings | WsStreamSettings) & {
  /** TLS (security "tls"), or null for none. */
  readonly tls: TlsSettings | null;
  /** Inbound: a PROXY protocol header (v1 or v2) is required first on each connection. */
  readonly acceptProxyProtocol: boolean;
  /** Socket options (warned about, not acted on). */
  readonly sockopt: SocketOptions;
};

/** Plain TCP, no TLS: what an inbound or outbound without streamSettings gets. */
export const PLAIN_TCP: StreamSettings = {
  network: "tcp",
  httpHeader: null,
  tls: null,
  acceptProxyProtocol: false,
  sockopt: { mark: 0, tcpFastOpen: null, trustedXForwardedFor: null },
};

const NETWORK_ALIASES: Record<string, string> = {
  tcp: "tcp",
  ws: "ws",
  websocket: "ws",
  h2: "h2",
  http: "h2",
  kcp: "kcp",
  mkcp: "kcp",
  ds: "domainsocket",
  domainsocket: "domainsocket",
  quic: "quic",
};

const NOT_SUPPORTED: Record<string, string> = {
  h2: "HTTP/2 is not supported yet",
  kcp: "mKCP is not supported",
  domainsocket: "domain sockets are not supported",
  quic: "QUIC is not supported",
};

const SETTINGS_KEY: Record<string, keyof typeof transportKeys> = {
  tcp: "tcpSettings",
  ws: "wsSettings",
  h2: "httpSettings",
  kcp: "kcpSettings",
  domainsocket: "dsSettings",
  quic: "quicSettings",
};

/** Who the settings are for: some keys act on one side only. */
export type StreamSide = "inbound" | "outbound";

/** The outcome: a value when there is no error, and every issue found. */
export interface StreamResolution {
  /** The resolved settings (absent when an error was found). */
  readonly value?: StreamSettings;
  /** Errors and warnings with their paths. */
  readonly issues: readonly ConfigIssue[];
}

// The per-transport settings in force: the stream's own, else the global transport's.
function pickSettings<K extends keyof typeof transportKeys>(
  key: K,
  s: StreamSettingsConfig | undefined,
  global: GlobalTransportConfig | undefined,
  path: JsonPath,
): { value: StreamSettingsConfig[K]; path: JsonPath } {
  if (s?.[key] !== undefined) return { value: s[key], path: [...path, key] };
  return { value: global?.[key], path: ["transport", key] };
}

function normalisePath(p: string): string {
  if (p === "") return "/";
  return p.startsWith("/") ? p : "/" + p;
}

/**
 * Xray's `ed` in the path's query: removed (the rest of the query kept, sorted by key as Go's
 * url.Values.Encode does) and its value as a number (not a number: 0, as strconv.Atoi fails).
 */
export function takeXrayEarlyData(path: string): { path: string; ed: number } {
  const q = path.indexOf("?");
  if (q < 0) return { path, ed: 0 };
  const params = new URLSearchParams(path.slice(q + 1));
  const ed = params.get("ed");
  if (ed === null || ed === "") return { path, ed: 0 };
  params.delete("ed");
  params.sort();
  const rest = params.toString();
  const n = /^[+-]?\d+$/.test(ed) ? Number(ed) : 0;
  return { path: path.slice(0, q) + (rest ? "?" + rest : ""), ed: n > 0 && n < 2 ** 32 ? n : 0 };
}

// gorilla refuses these in the request header; it sets them itself.
const RESERVED_WS_HEADERS = new Set(RESERVED_HEADERS.map((h) => h.toLowerCase()));

function resolveWs(
  ws: z.output<typeof wsSettings> | undefined,
  path: JsonPath,
  side: StreamSide,
  out: ConfigIssue[],
): WsStreamSettings {
  const raw = ws?.path || ws?.Path || "";
  const { path: p, ed } = takeXrayEarlyData(normalisePath(raw));
  const headers = Object.entries(ws?.headers ?? {});
  for (const [k] of headers) {
    if (RESERVED_WS_HEADERS.has(k.toLowerCase())) {
      out.push(configError([...path, "headers", k], "is set by the WebSocket handshake itself"));
    }
  }
  if (side === "inbound" && headers.length > 0) {
    out.push(configWarning([...path, "headers"], "has no effect on an inbound"));
  }
  if (ws?.useBrowserForwarding) {
    out.push(
      configError([...path, "useBrowserForwarding"], "true (browser forwarding) is not supported"),
    );
  }
  if (ws?.earlyDataHeaderName && !ws.maxEarlyData) {
    out.push(
      configWarning([...path, "earlyDataHeaderName"], "has no effect without maxEarlyData > 0"),
    );
  }
  return {
    network: "ws",
    path: p,
    headers,
    xrayEarlyData: ed,
    maxEarlyData: ws?.maxEarlyData ?? 0,
    earlyDataHeaderName: ws?.maxEarlyData ? ws?.earlyDataHeaderName ?? "" : "",
  };
}

function resolveTcp(
  tcp: z.output<typeof tcpSettings> | undefined,
  path: JsonPath,
  out: ConfigIssue[],
): TcpStreamSettings {
  const header = tcp?.header;
  if (header === undefined) return { network: "tcp", httpHeader: null };
  const type = header.type?.toLowerCase();
  if (type === undefined) {
    out.push(configError([...path, "header", "type"], 'is required ("none" or "http")'));
    return { network: "tcp", httpHeader: null };
  }
  if (type === "http") {
    return { network: "tcp", httpHeader: httpHeaderSettings(header.request, header.response) };
  }
  if (type !== "none") {
    out.push(
      configError(
        [...path, "header", "type"],
        `${JSON.stringify(header.type)} is not a TCP header type: use "none" or "http"`,
      ),
    );
  }
  return { network: "tcp", httpHeader: null };
}

function pem(file: string | undefined, lines: string[] | undefined): PemSource | null {
  if (file) return { file };
  if (lines && lines.length > 0) return { inline: lines.join("\n") };
  return null;
}

function resolveTls(
  t: z.output<typeof tlsSettings> | undefined,
  path: JsonPath,
  side: StreamSide,
  out: ConfigIssue[],
): TlsSettings {
  const certificates: TlsCertificate[] = [];
  (t?.certificates ?? []).forEach((c, i) => {
    const at = [...path, "certificates", i];
    const usage = (c.usage ?? "").toLowerCase();
    if (usage === "issue") {
      out.push(
        configError([...at, "usage"], '"issue" (minting certificates per name) is not supported'),
      );
      return;
    }
    if (usage !== "" && usage !== "encipherment" && usage !== "verify") {
      out.push(
        configWarning(
          [...at, "usage"],
          `${JSON.stringify(c.usage)} is not a usage: taken as "encipherment", as V2Ray 4.34 does`,
        ),
      );
    }
    const cert = pem(c.certificateFile, c.certificate);
    if (!cert) {
      out.push(configError(at, "needs certificateFile or certificate"));
      return;
    }
    certificates.push({
      certificate: cert,
      key: pem(c.keyFile, c.key),
      usage: usage === "verify" ? "verify" : "encipherment",
    });
  });
  if (side === "inbound") {
    if (!certificates.some((c) => c.usage === "encipherment" && c.key)) {
      out.push(
        configError(
          [...path, "certificates"],
          'a TLS inbound needs a certificate with its key (usage "encipherment")',
        ),
      );
    }
    for (const k of ["allowInsecure", "serverName", "disableSystemRoot"] as const) {
      if (t?.[k] !== undefined) {
        out.push(configWarning([...path, k], "has no effect on an inbound"));
      }
    }
  }
  if (t?.enableSessionResumption !== undefined) {
    out.push(configWarning([...path, "enableSessionResumption"], "is accepted but not acted on"));
  }
  let serverName = t?.serverName ?? "";
  // A legacy prefix 4.34 strips.
  if (serverName.startsWith("experiment:8357")) serverName = serverName.slice(15);
  const alpn = t?.alpn && t.alpn.length > 0 ? t.alpn : null;
  return {
    serverName: serverName === "" ? null : serverName,
    alpn,
    allowInsecure: t?.allowInsecure ?? false,
    disableSystemRoot: t?.disableSystemRoot ?? false,
    enableSessionResumption: t?.enableSessionResumption ?? false,
    certificates,
  };
}

/**
 * Resolves one inbound's or outbound's streamSettings (at `path`) with the global transport as
 * fallback. Never throws.
 */
export function resolveStreamSettings(
  s: StreamSettingsConfig | undefined,
  global: GlobalTransportConfig | undefined,
  path: JsonPath,
  side: StreamSide,
): StreamResolution {
  const out: ConfigIssue[] = [];
  const rawNetwork = s?.network ?? "tcp";
  const network = NETWORK_ALIASES[rawNetwork.toLowerCase()];
  if (network === undefined) {
    const grpc = ["grpc", "gun"].includes(rawNetwork.toLowerCase());
    out.push(
      configError(
        [...path, "network"],
        `${JSON.stringify(rawNetwork)} is ${
          grpc ? "not a transport of V2Ray 4.34 (gRPC came in 4.36) and" : "not a known transport:"
        } ${grpc ? "not supported" : "use tcp, ws, h2, kcp, ds or quic"}`,
      ),
    );
    return { issues: out };
  }
  if (NOT_SUPPORTED[network]) {
    out.push(
      configError([...path, "network"], `${JSON.stringify(rawNetwork)}: ${NOT_SUPPORTED[network]}`),
    );
  }
  // Settings of the other transports are built by 4.34 but unused; say so.
  for (const [net, key] of Object.entries(SETTINGS_KEY)) {
    if (net !== network && s?.[key] !== undefined) {
      out.push(configWarning([...path, key], `has no effect: network is ${network}`));
    }
  }

  const tcp = pickSettings("tcpSettings", s, global, path);
  const ws = pickSettings("wsSettings", s, global, path);
  const transport = network === "ws"
    ? resolveWs(ws.value, ws.path, side, out)
    : resolveTcp(network === "tcp" ? tcp.value : undefined, tcp.path, out);

  const security = s?.security ?? "";
  let tls: TlsSettings | null = null;
  if (security.toLowerCase() === "tls") {
    tls = resolveTls(s?.tlsSettings, [...path, "tlsSettings"], side, out);
  } else if (["xtls", "reality"].includes(security.toLowerCase())) {
    out.push(configError([...path, "security"], `${JSON.stringify(security)} is not supported`));
  } else if (!["", "none"].includes(security.toLowerCase())) {
    out.push(
      configWarning(
        [...path, "security"],
        `${JSON.stringify(security)} means no TLS (only "tls" enables it, as in V2Ray 4.34)`,
      ),
    );
  }
  if (tls === null && s?.tlsSettings !== undefined) {
    out.push(configWarning([...path, "tlsSettings"], 'has no effect without security "tls"'));
  }

  // 4.34 lets the transport's flag overwrite sockopt's on tcp and ws listeners; we honour either.
  const own = network === "ws"
    ? (ws.value?.acceptProxyProtocol ? [...ws.path, "acceptProxyProtocol"] : null)
    : (tcp.value?.acceptProxyProtocol ? [...tcp.path, "acceptProxyProtocol"] : null);
  const viaSockopt = s?.sockopt?.acceptProxyProtocol
    ? [...path, "sockopt", "acceptProxyProtocol"]
    : null;
  const proxyAt = own ?? viaSockopt;
  if (proxyAt && side === "outbound") {
    out.push(configWarning(proxyAt, "has no effect on an outbound"));
  }

  const so = s?.sockopt;
  if (so?.mark) {
    out.push(
      configWarning(
        [...path, "sockopt", "mark"],
        "is accepted but not acted on (no SO_MARK in Deno)",
      ),
    );
  }
  if (so?.tcpFastOpen !== undefined) {
    out.push(
      configWarning(
        [...path, "sockopt", "tcpFastOpen"],
        "is accepted but not acted on (no TCP Fast Open in Deno)",
      ),
    );
  }
  const tproxy = (so?.tproxy ?? "").toLowerCase();
  if (tproxy === "redirect" || tproxy === "tproxy") {
    out.push(
      configError(
        [...path, "sockopt", "tproxy"],
        `${JSON.stringify(so?.tproxy)} (transparent proxy) is not supported`,
      ),
    );
  } else if (tproxy !== "" && tproxy !== "off") {
    out.push(
      configWarning(
        [...path, "sockopt", "tproxy"],
        `${JSON.stringify(so?.tproxy)} is not a mode: taken as "off", as V2Ray 4.34 does`,
      ),
    );
  }

  const trustedXff = so?.trustedXForwardedFor;
  if (trustedXff !== undefined) {
    const at = [...path, "sockopt", "trustedXForwardedFor"];
    trustedXff.forEach((entry, i) => {
      if (!parseCidr(entry)) {
        out.push(configError([...at, i], `${JSON.stringify(entry)} is not an IP address or CIDR`));
      }
    });
    if (side === "outbound" || network !== "ws") {
      out.push(configWarning(at, "has effect only on a WebSocket inbound"));
    }
  }

  if (out.some((i) => i.severity === "error")) return { issues: out };
  return {
    value: {
      ...transport,
      tls,
      acceptProxyProtocol: side === "inbound" && proxyAt !== null,
      sockopt: {
        mark: so?.mark ?? 0,
        tcpFastOpen: so?.tcpFastOpen ?? null,
        trustedXForwardedFor: trustedXff ?? null,
      },
    },
    issues: out,
  };
}
