/**
 * The WebSocket layer of a dial stack: the upgrade request as V2Ray 4.34 sends it, then frames
 * only after the 101 (a 4.34 server closes a client that sends before it). With early data
 * (Xray's `?ed=N`, V2Fly's maxEarlyData) the request waits for the first write and carries it,
 * so the protocol's first bytes travel in the handshake.
 */
import { randomBytes } from "../core/bytes.ts";
import type { ByteStream } from "../core/stream.ts";
import type { WsStreamSettings } from "../config/mod.ts";
import {
  buildUpgradeRequest,
  checkUpgradeResponse,
  clientKey,
  DEFAULT_MAX_RESPONSE_HEAD,
  wantsEarlyData,
} from "../ws/mod.ts";
import { readHead } from "./head_reader.ts";
import { WsStream } from "./ws_stream.ts";

/** What the client side needs. */
export interface WsClientLayerOptions {
  /** The outbound's wsSettings. */
  readonly ws: WsStreamSettings;
  /** The Host header unless wsSettings.headers set one (see defaultHost). */
  readonly host: string;
  /** Keep-alive ping interval, ms (default: WsStream's). */
  readonly pingMs?: number;
}

// Sends the request (carrying what early data allows of `first`), waits for the 101, then sends
// the rest of `first` as a frame.
async function handshake(
  stream: ByteStream,
  opts: WsClientLayerOptions,
  first: Uint8Array,
): Promise<WsStream> {
  const key = clientKey(randomBytes(16));
  const request = buildUpgradeRequest(opts.ws, opts.host, key, first);
  await stream.write(request.bytes);
  const { value: accepted, buffered } = await readHead(
    stream,
    (b) => checkUpgradeResponse(b, key),
    DEFAULT_MAX_RESPONSE_HEAD,
    "ws-handshake",
  );
  const ws = new WsStream(stream, {
    role: "client",
    head: buffered.subarray(accepted.used),
    pingMs: opts.pingMs,
  });
  if (first.length > request.carried) await ws.write(first.subarray(request.carried));
  return ws;
}

/**
 * A WebSocket over `stream`. Without early data the handshake is done before this resolves (a
 * refusal rejects, as 4.34's dial fails); with it, the handshake runs on the first write.
 */
export async function connectWebSocket(
  stream: ByteStream,
  opts: WsClientLayerOptions,
): Promise<ByteStream> {
  if (wantsEarlyData(opts.ws)) return new EarlyDataWsStream(stream, opts);
  try {
    return await handshake(stream, opts, new Uint8Array(0));
  } catch (e) {
    stream.close();
    throw e;
  }
}

/** A client WebSocket whose upgrade request carries its first write. */
class EarlyDataWsStream implements ByteStream {
  readonly #inner: ByteStream;
  readonly #opts: WsClientLayerOptions;
  #ws: Promise<WsStream> | null = null;
  #ready: WsStream | null = null;
  readonly #started = Promise.withResolvers<void>();
  #closed = false;

  constructor(inner: ByteStream, opts: WsClientLayerOptions) {
    this.#inner = inner;
    this.#opts = opts;
  }

  #start(first: Uint8Array): Promise<WsStream> {
    if (!this.#ws) {
      this.#ws = handshake(this.#inner, this.#opts, first).catch((e) => {
        this.#inner.close();
        throw e;
      });
      this.#ws.then((ws) => {
        this.#ready = ws;
        if (this.#closed) ws.close();
      }, () => {});
      this.#started.resolve();
    }
    return this.#ws;
  }

  /** Reads once the first write has started the handshake. */
  async read(max?: number): Promise<Uint8Array | null> {
    if (!this.#ws) await this.#started.promise;
    if (this.#closed) return null;
    return await (await this.#ws!).read(max);
  }

  /** The first write goes (as far as it may) in the upgrade request; later ones as frames. */
  async write(data: Uint8Array): Promise<void> {
    if (!this.#ws) {
      await this.#start(data);
      return;
    }
    await (await this.#ws).write(data);
  }

  /** Starts the handshake if nothing was written (so reads can go on); no half-close in WebSocket. */
  async closeWrite(): Promise<void> {
    await this.#start(new Uint8Array(0));
  }

  /** Closes the transport (and the WebSocket, once there is one); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#started.resolve();
    // An open WebSocket says goodbye with a close frame; a handshake under way is cut.
    if (this.#ready) this.#ready.close();
    else this.#inner.close();
  }
}
