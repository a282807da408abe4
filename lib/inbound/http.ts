/** The HTTP proxy inbound: CONNECT tunnels and keep-alive absolute-URI requests, Basic auth. */
import type { InboundConfig } from "../config/mod.ts";
import { formatDestination } from "../core/destination.ts";
import { ProtocolError } from "../core/errors.ts";
import { nextSessionId, type SessionUser } from "../core/session.ts";
import { utf8 } from "../core/bytes.ts";
import type { InstanceContext } from "../engine/context.ts";
import { dialRouted, proxyTcp, trafficCounters } from "../engine/proxy.ts";
import type { ByteStream } from "../core/stream.ts";
import type { SourceAddress } from "../core/session.ts";
import { inboundPolicy, type LevelPolicy } from "../config/policy.ts";
import {
  buildListenStack,
  type InboundConnection,
  PrefixedStream,
  withDeadline,
} from "../net/mod.ts";
import { TcpInbound } from "./tcp_inbound.ts";
import { accountMatches } from "./accounts.ts";
import { StreamReader } from "./stream_reader.ts";
import { exchange } from "./http_exchange.ts";
import { type BodyFraming, requestFraming } from "./http_message.ts";
import { PROXY_RESPONSES } from "./http_response.ts";
import {
  clientKeepAlive,
  header,
  type HttpRequestHead,
  originRequestHead,
  parseRequestHead,
  REQUEST_HEAD_LIMIT,
  requestAttributes,
  requestDestination,
} from "./http_protocol.ts";

type HttpConfig = Extract<InboundConfig, { protocol: "http" }>;

const RESPONSES = {
  established: utf8("HTTP/1.1 200 Connection established\r\n\r\n"),
  ...PROXY_RESPONSES,
};

/** An HTTP proxy server. */
export class HttpInbound extends TcpInbound {
  readonly #config: HttpConfig;
  readonly #ctx: InstanceContext;
  readonly #policy: LevelPolicy;

  /** An HTTP inbound for `config`. */
  constructor(config: HttpConfig, ctx: InstanceContext) {
    // As V2Ray: every session, authenticated or not, has the inbound's userLevel.
    const policy = inboundPolicy(ctx.policy, config.settings.userLevel, config.settings.timeout);
    super({
      kind: "http",
      tag: config.tag,
      listen: config.listen,
      port: config.port,
      stack: buildListenStack(config.stream, { bufferSize: policy.bufferSize }),
      openMs: policy.handshakeMs,
      services: ctx.listening,
    });
    this.#config = config;
    this.#ctx = ctx;
    this.#policy = policy;
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

  /** Reads request heads one after another (handshake deadline, then connIdle) and serves each. */
  protected async serve(conn: InboundConnection): Promise<void> {
    const { stream: client, source } = conn;
    const policy = this.#policy;
    const reader = new StreamReader(client);
    let waitMs = policy.handshakeMs, first = true;
    for (;;) {
      let head: HttpRequestHead | null;
      try {
        head = await withDeadline(
          client,
          waitMs,
          () => reader.next(parseRequestHead, REQUEST_HEAD_LIMIT),
        );
      } catch (e) {
        const line = `http ${this.tag}: ${source.address}:${source.port}: ${(e as Error).message}`;
        if (e instanceof ProtocolError) {
          this.#ctx.logger.info(line);
          await client.write(RESPONSES.badRequest).catch(() => {});
        } else if (first) this.#ctx.logger.info(line);
        else this.#ctx.logger.debug(line); // connIdle ran out between requests, or a reset.
        return;
      }
      if (head === null) return; // The client closed between requests.
      conn.established();
      if (!(await this.#request(head, client, reader, source))) return;
      first = false;
      waitMs = policy.connIdleMs;
    }
  }

  // Serves one request; whether the connection may carry another.
  async #request(
    head: HttpRequestHead,
    client: ByteStream,
    reader: StreamReader,
    source: SourceAddress,
  ): Promise<boolean> {
    const settings = this.#config.settings;
    const refuse = async (response: Uint8Array) => {
      await client.write(response).catch(() => {});
      return false;
    };
    const user = this.#authenticate(head);
    if (user === null) return await refuse(RESPONSES.authRequired);
    const dest = requestDestination(head, settings.allowTransparent);
    if (!dest) return await refuse(RESPONSES.badRequest);
    const session = {
      id: nextSessionId(),
      inboundTag: this.tag,
      source,
      user: user ?? { email: "", level: settings.userLevel },
    };
    if (head.method === "CONNECT") {
      try {
        await client.write(RESPONSES.established);
      } catch {
        return false; // The client is gone.
      }
      const policy = this.#policy;
      await proxyTcp(this.#ctx, session, dest, new PrefixedStream(reader.take(), client), {
        policy,
        sniffing: this.#config.sniffing,
      });
      return false;
    }
    let framing: BodyFraming;
    try {
      framing = requestFraming(head.headers);
    } catch (e) {
      this.#ctx.logger.info(`[${session.id}] http ${this.tag}: ${(e as Error).message}`);
      return await refuse(RESPONSES.badRequest);
    }
    // As 4.34: a plain request is known to be HTTP, and its head is what `attrs` rules see.
    const routed = { ...session, protocol: "http/1.1", attributes: requestAttributes(head) };
    const target = await dialRouted(this.#ctx, routed, dest);
    if (!target) return await refuse(RESPONSES.unavailable);
    const result = await exchange({
      method: head.method,
      head: originRequestHead(head),
      framing,
      keepAlive: clientKeepAlive(head),
      clientIn: reader,
      clientOut: client,
      target: target.stream,
      idleMs: this.#policy.connIdleMs,
      ...trafficCounters(this.#ctx, session, target.outboundTag),
    });
    if (result.error !== undefined) {
      const why = (result.error as Error)?.message ?? String(result.error);
      this.#ctx.logger.info(`[${session.id}] ${formatDestination(dest)}: ${why}`);
    }
    return result.keepAlive;
  }
}
