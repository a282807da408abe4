/** How an outbound reaches the network: its own sockets, or another outbound (proxySettings). */
import type { Destination } from "../core/destination.ts";
import { DenorayError } from "../core/errors.ts";
import type { Outbound, PacketStream } from "../core/handlers.ts";
import type { Session } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import type { Logger } from "../log/mod.ts";
import { dialTcp } from "./tcp.ts";

/** A chained outbound's proxy cannot be used (its tag names no built outbound). */
export class ChainError extends DenorayError {
  /** An error of kind "chain". */
  constructor(message: string) {
    super("chain", message);
  }
}

/** Opens an outbound's own connections: TCP to its server or destination, UDP when chained. */
export interface NetDialer {
  /** A TCP stream to `address:port`; `bufferSize` bounds a direct socket's reads. */
  dialStream(
    session: Session,
    address: string,
    port: number,
    bufferSize: number,
  ): Promise<ByteStream>;
  /** A UDP flow through the proxy outbound (only when chained: direct UDP binds its own socket). */
  dialPacket?(session: Session, destination: Destination): Promise<PacketStream>;
}

/** Plain TCP sockets. */
export const directDialer: NetDialer = {
  dialStream: (_session, address, port, bufferSize) => dialTcp(address, port, bufferSize),
};

/**
 * Dials through the outbound tagged `via` (V2Ray's `proxySettings.tag`): its dial() carries the
 * connection, so the chained outbound's bytes become that outbound's payload. The chained
 * outbound's own streamSettings (TLS, WebSocket, HTTP header) run over it (layeredDialer), as
 * V2Ray's `transportLayer: true` does; 4.34 applied only TLS there.
 */
export class ChainDialer implements NetDialer {
  readonly #via: string;
  readonly #lookup: (tag: string) => Outbound | undefined;
  readonly #logger: Logger;
  readonly #owner: string;

  /** `owner` is the chained outbound's tag (for log lines); `lookup` finds outbounds by tag. */
  constructor(
    owner: string,
    via: string,
    lookup: (tag: string) => Outbound | undefined,
    logger: Logger,
  ) {
    this.#owner = owner;
    this.#via = via;
    this.#lookup = lookup;
    this.#logger = logger;
  }

  #proxy(): Outbound {
    const ob = this.#lookup(this.#via);
    if (!ob) throw new ChainError(`outbound ${this.#owner}: no outbound has tag ${this.#via}`);
    return ob;
  }

  /** A TCP stream to `address:port` opened by the proxy outbound. */
  dialStream(session: Session, address: string, port: number): Promise<ByteStream> {
    const proxy = this.#proxy();
    this.#logger.debug(
      `outbound ${this.#owner}: proxying to ${this.#via} for tcp:${address}:${port}`,
    );
    return proxy.dial(session, { network: "tcp", address, port });
  }

  /** A UDP flow to `destination` opened by the proxy outbound. */
  dialPacket(session: Session, destination: Destination): Promise<PacketStream> {
    const proxy = this.#proxy();
    this.#logger.debug(
      `outbound ${this.#owner}: proxying to ${this.#via} for udp:${destination.address}:${destination.port}`,
    );
    return proxy.dialPacket(session, { ...destination, network: "udp" });
  }
}
