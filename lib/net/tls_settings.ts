/**
 * What each TLS layer takes from the resolved tlsSettings: the serving keypair, the trust anchors,
 * ALPN as V2Ray 4.34 fills an empty list per transport. PEM files must have been read already
 * (lib/app does it when the config is loaded), so the layers see text only.
 */
import type { PemSource, StreamNetwork, TlsSettings } from "../config/mod.ts";
import { DenorayError } from "../core/errors.ts";

/** The PEM text of a source; a file that was not read is a programming error. */
export function pemText(source: PemSource): string {
  if ("inline" in source) return source.inline;
  throw new DenorayError("tls-config", `${source.file}: certificate file was not read`);
}

/** The keypair a TLS server presents. */
export interface TlsServerIdentity {
  /** The certificate chain, PEM. */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
}

/** The first encipherment certificate with a key (Deno serves one keypair per listener). */
export function serverIdentity(tls: TlsSettings): TlsServerIdentity {
  const c = tls.certificates.find((c) => c.usage === "encipherment" && c.key !== null);
  if (!c || !c.key) {
    throw new DenorayError("tls-config", "a TLS inbound needs a certificate with its key");
  }
  return { cert: pemText(c.certificate), key: pemText(c.key) };
}

/**
 * A TLS server's ALPN: the configured list, else 4.34's per transport (tcp: h2 as its TCP hub
 * sets; ws: http/1.1). A WebSocket server never offers h2, which it cannot speak.
 */
export function serverAlpn(tls: TlsSettings, network: StreamNetwork): string[] {
  if (network === "ws") {
    const own = (tls.alpn ?? []).filter((p) => p !== "h2");
    return own.length > 0 ? own : ["http/1.1"];
  }
  return tls.alpn ? [...tls.alpn] : ["h2"];
}

/** A TLS client's ALPN: the configured list, else 4.34's (ws: http/1.1; tcp: h2, http/1.1). */
export function clientAlpn(tls: TlsSettings, network: StreamNetwork): string[] {
  if (tls.alpn) return [...tls.alpn];
  return network === "ws" ? ["http/1.1"] : ["h2", "http/1.1"];
}

/** Every configured certificate, as 4.34 adds them all to the client's trust pool. */
export function trustAnchors(tls: TlsSettings): string[] {
  return tls.certificates.map((c) => pemText(c.certificate));
}
