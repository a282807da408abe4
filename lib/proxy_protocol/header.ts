/** What a PROXY protocol header tells: the client's address as the proxy in front saw it. */

/** An address and port from a PROXY header. */
export interface ProxyAddress {
  /** An IPv4 or IPv6 literal (IPv6 without brackets). */
  readonly address: string;
  /** 0..65535. */
  readonly port: number;
}

/** Address families a header may name. */
export const PROXY_FAMILIES = ["tcp4", "tcp6", "udp4", "udp6", "unix", "unspec"] as const;

/** An address family a header may name. */
export type ProxyFamily = (typeof PROXY_FAMILIES)[number];

/** A parsed PROXY header (v1 or v2). */
export interface ProxyHeader {
  /** Protocol version. */
  readonly version: 1 | 2;
  /** "proxy": relayed for a client; "local": the proxy's own connection (health check). */
  readonly command: "proxy" | "local";
  /** The family named (v1's UNKNOWN is "unspec"). */
  readonly family: ProxyFamily;
  /** The client's address, or null when the header gives none (LOCAL, UNKNOWN, unix, unspec). */
  readonly source: ProxyAddress | null;
  /** The address the client connected to, or null as for `source`. */
  readonly destination: ProxyAddress | null;
  /** Bytes of the header; the connection's own data starts there. */
  readonly used: number;
}
