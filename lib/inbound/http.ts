/** The HTTP proxy inbound: CONNECT tunnels and plain absolute-URI requests, Basic auth. */
import type { InboundConfig } from "../config/mod.ts";
import { nextSessionId, type SessionUser } from "../core/session.ts";
import { concatBytes, utf8 } from "../core/bytes.ts";
import type { InstanceContext } from "../app/context.ts";
import { proxyTcp } from "../app/proxy.ts";
import { TcpStream } from "../transport/tcp.ts";
import { inboundPolicy, type LevelPolicy } from "../config/policy.ts";
import { PrefixedStream } from "../transport/prefixed_stream.ts";
import { TcpInbound } from "./tcp_inbound.ts";
import { accountMatches } from "./accounts.ts";
import { PrefixReader, writeAll } from "./prefix_reader.ts";
import { withDeadline } from "./handshake_deadline.ts";
import {
  header,
  type HttpRequestHead,
  originRequestHead,
  parseRequestHead,
  requestDestination,
} from "./http_protocol.ts";

type HttpConfig = Extract<InboundConfig, { protocol: "http" }>;

const RESPONSES = {
  established: utf8("HTTP/1.1 200 Connection established\r\n\r\n"),
  badRequest: utf8("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
  authRequired: utf8(
    'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
  ),
};

/** An HTTP proxy server. */
export class HttpInbound extends TcpInbound {
  readonly #config: HttpConfig;
  readonly #ctx: InstanceContext;
  readonly #policy: LevelPolicy;

  /** An HTTP inbound for `config`. */
  constructor(config: HttpConfig, ctx: InstanceContext) {
    super("http", config.tag, config.listen, config.port, ctx.logger);
    this.#config = config;
    this.#ctx = ctx;
    // As V2Ray: every session, authenticated or not, has the inbound's userLevel.
    this.#policy = inboundPolicy(ctx.policy, config.settings.userLevel, config.settings.timeout);
  }

  // Basic auth against `accounts`; no accounts means open. Returns the user, or null if refused.
  #authenticate(h: HttpRequestHead): SessionUser | null | undefined {
    const accounts = this.#config.settings.accounts;
    if (accounts.length === 0) return undefined;
    const m = /^Basic\s+(\S+)$/i.exec(header(h, "proxy-authorization") ?? "");
    if (!m) return null;
    let decoded: string;
    try {
      decoded = atob(m[1]);
    } catch {
      return null;
    }
    const i = decoded.indexOf(":");
    const user = decoded.slice(0, i), pass = decoded.slice(i + 1);
    return accountMatches(accounts, user, pass)
      ? { email: user, level: this.#config.settings.userLevel }
      : null;
  }

  /** Reads the request head, then tunnels (CONNECT) or forwards it. */
  protected async serve(conn: Deno.Conn): Promise<void> {
    const r = conn.remoteAddr as Deno.NetAddr;
    const reader = new PrefixReader(conn);
    let head: HttpRequestHead;
    try {
      head = await withDeadline(
        conn,
        this.#policy.handshakeMs,
        () => reader.next(parseRequestHead),
      );
    } catch (e) {
      this.#ctx.logger.info(`http ${this.tag}: ${r.hostname}:${r.port}: ${(e as Error).message}`);
      await writeAll(conn, RESPONSES.badRequest).catch(() => {});
      return;
    }
    const user = this.#authenticate(head);
    if (user === null) {
      await writeAll(conn, RESPONSES.authRequired).catch(() => {});
      return;
    }
    const dest = requestDestination(head, this.#config.settings.allowTransparent);
    if (!dest) {
      await writeAll(conn, RESPONSES.badRequest).catch(() => {});
      return;
    }
    const session = {
      id: nextSessionId(),
      inboundTag: this.tag,
      source: { address: r.hostname, port: r.port },
      user: user ?? { email: "", level: this.#config.settings.userLevel },
    };
    const policy = this.#policy;
    const tcp = new TcpStream(conn, policy.bufferSize);
    if (head.method === "CONNECT") {
      await writeAll(conn, RESPONSES.established);
      await proxyTcp(this.#ctx, session, dest, new PrefixedStream(reader.rest(), tcp), { policy });
      return;
    }
    const first = concatBytes(originRequestHead(head), reader.rest());
    await proxyTcp(this.#ctx, session, dest, new PrefixedStream(first, tcp), { policy });
  }
}
