/**
 * The V2Ray-format configs of the benchmark: a VMess server to freedom, a client with entries,
 * over plain TCP or WebSocket + TLS.
 */

/** The one user of every benchmark tunnel. */
export const BENCH_ID = "b831381d-6324-4d53-ad4f-8cda48b30811";

/** The transports a row can run over: plain TCP, or WebSocket inside TLS. */
export type BenchTransport = "tcp" | "ws+tls";

/** PEM files of a test CA and a leaf for TLS_NAME it signed (made by the bench, never committed). */
export interface BenchPki {
  /** The CA certificate file. */
  readonly caFile: string;
  /** The leaf certificate file. */
  readonly certFile: string;
  /** The leaf key file. */
  readonly keyFile: string;
}

/** The name on the bench's TLS certificate. */
export const TLS_NAME = "bench.local";

function serverStream(transport: BenchTransport, pki?: BenchPki): unknown {
  if (transport === "tcp") return undefined;
  return {
    network: "ws",
    wsSettings: { path: "/bench" },
    security: "tls",
    tlsSettings: { certificates: [{ certificateFile: pki!.certFile, keyFile: pki!.keyFile }] },
  };
}

function clientStream(transport: BenchTransport, pki?: BenchPki): unknown {
  if (transport === "tcp") return undefined;
  return {
    network: "ws",
    wsSettings: { path: "/bench" },
    security: "tls",
    tlsSettings: {
      serverName: TLS_NAME,
      certificates: [{ certificateFile: pki!.caFile, usage: "verify" }],
    },
  };
}

/** A VMess inbound on 127.0.0.1:port (alterId 0) over `transport`, to a freedom outbound. */
export function serverConfig(
  port: number,
  transport: BenchTransport = "tcp",
  pki?: BenchPki,
): unknown {
  return {
    log: { loglevel: "none" },
    inbounds: [{
      listen: "127.0.0.1",
      port,
      protocol: "vmess",
      settings: { clients: [{ id: BENCH_ID }] },
      streamSettings: serverStream(transport, pki),
    }],
    outbounds: [{ protocol: "freedom" }],
  };
}

/**
 * One dokodemo-door entry per [entry port, target port], all to the VMess server at `server`;
 * `mux`: the outbound multiplexes (Mux.Cool, concurrency 8); `transport`: plain TCP or ws+tls.
 */
export function clientConfig(
  server: number,
  security: string,
  entries: readonly (readonly [number, number])[],
  mux = false,
  transport: BenchTransport = "tcp",
  pki?: BenchPki,
): unknown {
  return {
    log: { loglevel: "none" },
    inbounds: entries.map(([port, target], i) => ({
      tag: `entry-${i}`,
      listen: "127.0.0.1",
      port,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: target, network: "tcp" },
    })),
    outbounds: [{
      protocol: "vmess",
      ...(mux ? { mux: { enabled: true, concurrency: 8 } } : {}),
      settings: {
        vnext: [{ address: "127.0.0.1", port: server, users: [{ id: BENCH_ID, security }] }],
      },
      streamSettings: clientStream(transport, pki),
    }],
  };
}
