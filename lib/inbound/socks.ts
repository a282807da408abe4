/** The SOCKS inbound: SOCKS5 (noauth or password) CONNECT, SOCKS4/4a CONNECT. */
import type { InboundConfig } from "../config/mod.ts";
import { nextSessionId, type Session, type SessionUser } from "../core/session.ts";
import { SocksUdpAssociation } from "./socks_udp.ts";
import type { Destination } from "../core/destination.ts";
import type { InstanceContext } from "../engine/context.ts";
import { proxyTcp } from "../engine/proxy.ts";
import type { ByteStream } from "../core/stream.ts";
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
import { parseHello, parsePasswordAuth, parseRequest, socks5Reply } from "./socks_protocol.ts";

type SocksConfig = Extract<InboundConfig, { protocol: "socks" }>;

// The longest SOCKS handshake message we wait for (a SOCKS4a request with a long domain fits).
const HANDSHAKE_LIMIT = 16 * 1024;

/** A SOCKS server. */
export class SocksInbound extends TcpInbound {
  readonly #config: SocksConfig;
  readonly #ctx: InstanceContext;
  readonly #policy: LevelPolicy;

  /** A SOCKS inbound for `config`. */
  constructor(config: SocksConfig, ctx: InstanceContext) {
    // As V2Ray: every session, with or without an account, has the inbound's userLevel.
    const policy = inboundPolicy(ctx.policy, config.settings.userLevel, config.settings.timeout);
    super({
      kind: "socks",
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

  async #handshake(
    tcp: ByteStream,
    reader: StreamReader,
  ): Promise<{ dest: Destination; user?: SessionUser; udp?: boolean } | null> {
    const s = this.#config.settings;
    const hello = await reader.expect(parseHello, HANDSHAKE_LIMIT);
    if (hello.version === 4) {
      if (hello.command !== 1 || s.auth === "password") {
        await tcp.write(new Uint8Array([0, 0x5b, 0, 0, 0, 0, 0, 0]));
        return null;
      }
      await tcp.write(new Uint8Array([0, 0x5a, 0, 0, 0, 0, 0, 0]));
      return { dest: hello.destination };
    }
    const want = s.auth === "password" ? 2 : 0;
    if (!hello.methods.includes(want)) {
      await tcp.write(new Uint8Array([5, 0xff]));
      return null;
    }
    await tcp.write(new Uint8Array([5, want]));
    let user: SessionUser | undefined;
    if (want === 2) {
      const cred = await reader.expect(parsePasswordAuth, HANDSHAKE_LIMIT);
      const ok = accountMatches(this.#config.settings.accounts, cred.user, cred.pass);
      await tcp.write(new Uint8Array([1, ok ? 0 : 1]));
      if (!ok) return null;
      user = { email: cred.user, level: s.userLevel };
    }
    const req = await reader.expect(parseRequest, HANDSHAKE_LIMIT);
    // UDP ASSOCIATE when `udp` is on (its reply names the relay port, sent by #serve).
    if (req.command === 3 && s.udp) return { dest: req.destination, user, udp: true };
    if (req.command !== 1) {
      // BIND, and UDP ASSOCIATE with `udp` off: "command not supported".
      await tcp.write(socks5Reply(7));
      return null;
    }
    await tcp.write(socks5Reply(0));
    return { dest: req.destination, user };
  }

  /** Runs the SOCKS handshake, then relays or associates. */
  protected async serve(conn: InboundConnection): Promise<void> {
    const { stream: tcp, source } = conn;
    const policy = this.#policy;
    const reader = new StreamReader(tcp);
    let result;
    try {
      result = await withDeadline(tcp, policy.handshakeMs, () => this.#handshake(tcp, reader));
    } catch (e) {
      this.#ctx.logger.info(
        `socks ${this.tag}: ${source.address}:${source.port}: ${(e as Error).message}`,
      );
      return;
    }
    if (!result) return;
    conn.established();
    const session = {
      id: nextSessionId(),
      inboundTag: this.tag,
      source,
      user: result.user ?? { email: "", level: this.#config.settings.userLevel },
    };
    if (result.udp) {
      await this.#associate(tcp, session);
      return;
    }
    const stream = new PrefixedStream(reader.take(), tcp);
    await proxyTcp(this.#ctx, session, result.dest, stream, {
      policy,
      sniffing: this.#config.sniffing,
    });
  }

  // The relay lives until the client closes the TCP connection (RFC 1928 §7).
  async #associate(tcp: ByteStream, session: Session): Promise<void> {
    const listen = this.#config.listen;
    const assoc = new SocksUdpAssociation(listen, session, this.#ctx);
    try {
      const replyHost = this.#config.settings.ip ??
        (listen === "0.0.0.0" ? "127.0.0.1" : listen === "::" ? "::1" : listen);
      await tcp.write(socks5Reply(0, replyHost, assoc.socket.port));
      while (await tcp.read().catch(() => null) !== null) {
        // Anything the client sends on the control connection is ignored.
      }
    } finally {
      await assoc.close();
    }
  }
}
