/**
 * Share links from a server config: one per client of each VMess inbound, its transport, path,
 * Host, TLS and SNI taken from the inbound's stream settings; and back, a client config (SOCKS
 * inbound + VMess outbound) from a link.
 */
import type { Config, InboundConfig } from "../config/mod.ts";
import type { StreamSettings } from "../config/stream_settings.ts";
import { ShareLinkError, type VmessShare } from "./vmess_link.ts";

/** What the operator tells `link` beyond the config. */
export interface ShareOptions {
  /** The public name or address clients dial (required when the inbound listens on all addresses). */
  readonly host?: string;
  /** Only the clients with this email. */
  readonly email?: string;
  /** The public port, when a front end (nginx, a CDN) listens on another one. */
  readonly port?: number;
  /** Clients reach a TLS front end (nginx, Caddy, a CDN) though the inbound itself is plain. */
  readonly tls?: boolean;
}

/** One client's link with the inbound it belongs to. */
export interface InboundShare {
  /** The inbound's tag, or its place in the config. */
  readonly inbound: string;
  /** The link's fields. */
  readonly share: VmessShare;
}

const WILDCARD = new Set(["0.0.0.0", "::", ""]);

function headerValue(stream: StreamSettings, name: string): string {
  if (stream.network !== "ws") return "";
  return stream.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1] ?? "";
}

// net, type, host and path as v2rayN names them for this transport.
function transportFields(
  stream: StreamSettings,
): Pick<VmessShare, "net" | "type" | "host" | "path"> {
  if (stream.network === "ws") {
    const ed = stream.xrayEarlyData > 0 ? `?ed=${stream.xrayEarlyData}` : "";
    return { net: "ws", type: "none", host: headerValue(stream, "host"), path: stream.path + ed };
  }
  const h = stream.httpHeader;
  if (!h) return { net: "tcp", type: "none", host: "", path: "" };
  const hosts = h.request.headers.find((f) => f.name.toLowerCase() === "host")?.values ?? [];
  return { net: "tcp", type: "http", host: hosts.join(","), path: h.request.paths.join(",") };
}

/** The links of every client of every VMess inbound of `config` (dynamic-port inbounds aside). */
export function sharesOf(config: Config, opts: ShareOptions = {}): InboundShare[] {
  const out: InboundShare[] = [];
  config.inbounds.forEach((ib: InboundConfig, n) => {
    if (ib.protocol !== "vmess" || ib.allocate?.strategy === "random") return;
    const name = ib.tag ?? `inbounds[${n}]`;
    const add = opts.host ?? (WILDCARD.has(ib.listen) ? null : ib.listen);
    if (add === null) {
      throw new ShareLinkError(
        `${name} listens on ${
          ib.listen || "every address"
        }: say which name clients dial with --host`,
      );
    }
    const stream = ib.stream;
    const tls = opts.tls ?? stream.tls !== null;
    const serverName = stream.tls?.serverName ?? (tls && opts.host ? opts.host : "");
    ib.settings.clients.forEach((c, i) => {
      if (opts.email !== undefined && c.email !== opts.email) return;
      out.push({
        inbound: name,
        share: {
          ps: c.email ?? `${name}-${i + 1}`,
          add,
          port: opts.port ?? ib.port.from,
          id: c.id,
          aid: c.alterId,
          scy: "auto",
          ...transportFields(stream),
          tls: tls ? "tls" : "",
          sni: tls ? serverName : "",
          alpn: stream.tls?.alpn?.join(",") ?? "",
          insecure: false,
        },
      });
    });
  });
  return out;
}

/** Transports a client config from a link can use here. */
const USABLE_NETWORKS = new Set(["tcp", "ws", "websocket"]);

function list(s: string): string[] {
  return s.split(",").map((x) => x.trim()).filter((x) => x !== "");
}

/**
 * A client config for `share`: a SOCKS5 inbound (with UDP) on 127.0.0.1:`socksPort` and an HTTP
 * proxy on the next port, out through the VMess server the link names, in V2Ray's own format.
 */
export function clientConfigOf(share: VmessShare, socksPort = 1080): Record<string, unknown> {
  const net = share.net.toLowerCase();
  if (!USABLE_NETWORKS.has(net)) {
    throw new ShareLinkError(
      `transport "${share.net}" is not supported by denoray (tcp and ws are)`,
    );
  }
  const streamSettings: Record<string, unknown> = { network: net === "websocket" ? "ws" : net };
  if (net !== "tcp") {
    streamSettings.wsSettings = {
      path: share.path || "/",
      ...(share.host ? { headers: { Host: share.host } } : {}),
    };
  } else if (share.type === "http") {
    streamSettings.tcpSettings = {
      header: {
        type: "http",
        request: {
          path: list(share.path).length ? list(share.path) : ["/"],
          ...(share.host ? { headers: { Host: list(share.host) } } : {}),
        },
      },
    };
  }
  if (share.tls === "tls") {
    streamSettings.security = "tls";
    streamSettings.tlsSettings = {
      ...(share.sni || share.host ? { serverName: share.sni || list(share.host)[0] } : {}),
      ...(share.alpn ? { alpn: list(share.alpn) } : {}),
      ...(share.insecure ? { allowInsecure: true } : {}),
    };
  }
  return {
    log: { loglevel: "warning" },
    inbounds: [
      {
        tag: "socks",
        listen: "127.0.0.1",
        port: socksPort,
        protocol: "socks",
        settings: { udp: true },
      },
      { tag: "http", listen: "127.0.0.1", port: socksPort + 1, protocol: "http" },
    ],
    outbounds: [{
      tag: "proxy",
      protocol: "vmess",
      settings: {
        vnext: [{
          address: share.add,
          port: share.port,
          users: [{ id: share.id, alterId: share.aid, security: share.scy || "auto" }],
        }],
      },
      streamSettings,
    }],
  };
}
