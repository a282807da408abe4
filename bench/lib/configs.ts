/** The V2Ray-format configs of the benchmark: a VMess server to freedom, a client with entries. */

/** The one user of every benchmark tunnel. */
export const BENCH_ID = "b831381d-6324-4d53-ad4f-8cda48b30811";

/** A VMess inbound on 127.0.0.1:port (alterId 0) to a freedom outbound. */
export function serverConfig(port: number): unknown {
  return {
    log: { loglevel: "none" },
    inbounds: [{
      listen: "127.0.0.1",
      port,
      protocol: "vmess",
      settings: { clients: [{ id: BENCH_ID }] },
    }],
    outbounds: [{ protocol: "freedom" }],
  };
}

/**
 * One dokodemo-door entry per [entry port, target port], all to the VMess server at `server`;
 * `mux`: the outbound multiplexes (Mux.Cool, concurrency 8).
 */
export function clientConfig(
  server: number,
  security: string,
  entries: readonly (readonly [number, number])[],
  mux = false,
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
    }],
  };
}
