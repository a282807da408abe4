/** blackhole: swallows the connection, optionally answering with an HTTP 403 first. */
import type { OutboundConfig } from "../config/mod.ts";
import type { Outbound, PacketStream } from "../core/handlers.ts";
import type { ByteStream } from "../core/stream.ts";
import { utf8 } from "../core/bytes.ts";

type BlackholeConfig = Extract<OutboundConfig, { protocol: "blackhole" }>;

const HTTP_403 = utf8(
  "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nCache-Control: max-age=3600, public\r\nContent-Length: 0\r\n\r\n",
);

// Returns the optional response once, then ends; writes are discarded.
class BlackholeStream implements ByteStream {
  #pending: Uint8Array | null;
  constructor(response: Uint8Array | null) {
    this.#pending = response;
  }
  read(max?: number): Promise<Uint8Array | null> {
    const p = this.#pending;
    if (p === null) return Promise.resolve(null);
    const n = max === undefined ? p.length : Math.min(max, p.length);
    this.#pending = n < p.length ? p.subarray(n) : null;
    return Promise.resolve(p.subarray(0, n));
  }
  write(): Promise<void> {
    return Promise.resolve();
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.#pending = null;
  }
}

/** The blackhole outbound. */
export class BlackholeOutbound implements Outbound {
  readonly tag: string;
  readonly #http: boolean;

  /** A blackhole outbound. */
  constructor(config: BlackholeConfig) {
    this.tag = config.tag ?? "";
    this.#http = config.settings.response?.type === "http";
  }

  /** A stream that discards writes and returns the configured response, then ends. */
  dial(): Promise<ByteStream> {
    return Promise.resolve(new BlackholeStream(this.#http ? HTTP_403 : null));
  }

  /** Datagrams vanish. */
  dialPacket(): Promise<PacketStream> {
    return Promise.resolve({
      read: () => Promise.resolve(null),
      write: () => Promise.resolve(),
      close: () => {},
    });
  }
}
