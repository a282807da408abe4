/** V2Ray-format configs for transport tests: a VMess server and client over a given streamSettings. */
import type { TestPki } from "./certs.ts";
import { digest, patternBytes, sendAndReceive } from "./net.ts";
import { assertEquals } from "../assert.ts";

/** The user of every transport test. */
export const TRANSPORT_ID = "b831381d-6324-4d53-ad4f-8cda48b30811";

/** The transports the interop suites run. */
export const VARIANTS = ["ws", "ws+tls", "tcp+tls", "tcp-http"] as const;

/** One of VARIANTS. */
export type Variant = (typeof VARIANTS)[number];

/** The name the test leaf certificate carries. */
export const TLS_NAME = "test.local";

const HTTP_HEADER = {
  type: "http",
  request: { path: ["/index.html", "/video"], headers: { Host: ["www.example.com"] } },
};

/** A server's streamSettings for `variant` (TLS from `pki`'s leaf files). */
export function serverStream(variant: Variant, pki: TestPki, path = "/ray"): unknown {
  const tls = {
    security: "tls",
    tlsSettings: { certificates: [{ certificateFile: pki.certFile, keyFile: pki.keyFile }] },
  };
  switch (variant) {
    case "ws":
      return { network: "ws", wsSettings: { path } };
    case "ws+tls":
      return { network: "ws", wsSettings: { path }, ...tls };
    case "tcp+tls":
      return { network: "tcp", ...tls };
    case "tcp-http":
      return { network: "tcp", tcpSettings: { header: HTTP_HEADER } };
  }
}

/** A client's streamSettings for `variant` (trusting `pki`'s CA, naming TLS_NAME). */
export function clientStream(
  variant: Variant,
  pki: TestPki,
  path = "/ray",
  ws: Record<string, unknown> = {},
): unknown {
  const tls = {
    security: "tls",
    tlsSettings: {
      serverName: TLS_NAME,
      certificates: [{ certificateFile: pki.caFile, usage: "verify" }],
    },
  };
  switch (variant) {
    case "ws":
      return { network: "ws", wsSettings: { path, ...ws } };
    case "ws+tls":
      return { network: "ws", wsSettings: { path, ...ws }, ...tls };
    case "tcp+tls":
      return { network: "tcp", ...tls };
    case "tcp-http":
      return { network: "tcp", tcpSettings: { header: HTTP_HEADER } };
  }
}

/** A VMess server on 127.0.0.1:port over `stream`, to freedom. */
export function vmessServerConfig(port: number, stream: unknown, extraInbound = {}): unknown {
  return {
    log: { loglevel: "none" },
    inbounds: [{
      tag: "vmess-in",
      listen: "127.0.0.1",
      port,
      protocol: "vmess",
      settings: { clients: [{ id: TRANSPORT_ID, alterId: 0, email: "u@test" }] },
      streamSettings: stream,
      ...extraInbound,
    }],
    outbounds: [{ protocol: "freedom" }],
  };
}

/** A dokodemo-door on 127.0.0.1:port to `target`, through a VMess client to `server` over `stream`. */
export function vmessClientConfig(
  port: number,
  target: number,
  server: number,
  stream: unknown,
): unknown {
  return {
    log: { loglevel: "none" },
    inbounds: [{
      tag: "in",
      listen: "127.0.0.1",
      port,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: target, network: "tcp" },
    }],
    outbounds: [{
      tag: "vmess",
      protocol: "vmess",
      settings: {
        vnext: [{
          address: "127.0.0.1",
          port: server,
          users: [{ id: TRANSPORT_ID, alterId: 0, security: "aes-128-gcm" }],
        }],
      },
      streamSettings: stream,
    }],
  };
}

/** Sends `size` bytes through 127.0.0.1:port to an echo target and checks they come back whole. */
export async function echoThrough(port: number, size = 1 << 20, seed = 7): Promise<void> {
  const data = patternBytes(size, seed);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const got = await sendAndReceive(conn, data);
    assertEquals(got.length, data.length, "bytes echoed back");
    assertEquals(digest(got), digest(data), "checksum");
  } finally {
    conn.close();
  }
}
