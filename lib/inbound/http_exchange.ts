/** One proxied HTTP request: its body goes up while the response comes down, each to its framed end. */
import { ProtocolError } from "../core/errors.ts";
import type { ByteStream } from "../core/stream.ts";
import { ActivityTimer } from "../net/activity_timer.ts";
import type { ByteCounters } from "../net/relay.ts";
import { type BodyFraming, BodyScanner, responseFraming } from "./http_message.ts";
import {
  clientResponseHead,
  parseResponseHead,
  PROXY_RESPONSES,
  RESPONSE_HEAD_LIMIT,
} from "./http_response.ts";
import { StreamReader } from "./stream_reader.ts";

/** Everything one exchange moves bytes between. */
export interface ExchangeParams extends ByteCounters {
  /** The request method (HEAD responses have no body). */
  readonly method: string;
  /** The request head as the origin gets it. */
  readonly head: Uint8Array;
  /** How the request body is framed on the client connection. */
  readonly framing: BodyFraming;
  /** Whether the client lets its connection persist after this exchange. */
  readonly keepAlive: boolean;
  /** The client connection's reader (request body, then whatever follows it). */
  readonly clientIn: StreamReader;
  /** The client connection, for the response; closed by the exchange when it cannot persist. */
  readonly clientOut: ByteStream;
  /** The dialed origin (or next proxy); always closed by the exchange. */
  readonly target: ByteStream;
  /** Inactivity limit of the whole exchange (policy connIdle), ms. */
  readonly idleMs: number;
}

/** How an exchange ended: whether the client connection stays open, and the first error if any. */
export interface ExchangeResult {
  /** True when the next request may follow on the client connection. */
  readonly keepAlive: boolean;
  /** What went wrong; the client then got a 400/503 if no response had started. */
  readonly error?: unknown;
}

const { badRequest: BAD_REQUEST, unavailable: UNAVAILABLE } = PROXY_RESPONSES;

/** Copies the body `scanner` frames from `from` to `to`; an early end is a ProtocolError unless framing allows. */
async function copyBody(
  scanner: BodyScanner,
  from: StreamReader,
  to: ByteStream,
  onBytes: (n: number) => void,
): Promise<void> {
  while (!scanner.done) {
    const c = await from.chunk();
    if (c === null) return scanner.end();
    const n = scanner.push(c);
    if (n < c.length) from.unread(c.subarray(n));
    if (n > 0) {
      await to.write(c.subarray(0, n));
      onBytes(n);
    }
  }
}

/** Runs one request/response exchange; never rejects. The client is closed unless keepAlive. */
export async function exchange(p: ExchangeParams): Promise<ExchangeResult> {
  let failure: { error: unknown; response: Uint8Array | null } | undefined;
  let uploaded = false, responded = false;
  const fail = (error: unknown, response: Uint8Array | null) => {
    failure ??= { error, response };
    p.target.close();
  };
  const timer = new ActivityTimer(p.idleMs, () => {
    fail(new ProtocolError("timeout", "idle timeout"), null);
    p.clientOut.close();
  });
  const up = (n: number) => {
    timer.touch();
    p.onUplink?.(n);
  };
  const down = (n: number) => {
    timer.touch();
    p.onDownlink?.(n);
  };

  const upload = async (): Promise<void> => {
    try {
      await p.target.write(p.head);
      up(p.head.length);
      await copyBody(new BodyScanner(p.framing), p.clientIn, p.target, up);
      uploaded = true;
    } catch (e) {
      // Bad framing from the client is its fault; anything else is the target's or the socket's.
      fail(e, e instanceof ProtocolError ? BAD_REQUEST : UNAVAILABLE);
    }
  };

  const download = async (): Promise<boolean> => {
    try {
      const reader = new StreamReader(p.target);
      for (;;) {
        const head = await reader.next(parseResponseHead, RESPONSE_HEAD_LIMIT);
        if (head === null) {
          throw new ProtocolError("no-response", "target closed without a response");
        }
        const framing = responseFraming(p.method, head.status, head.headers);
        const interim = head.status < 200 && head.status !== 101;
        const keep = p.keepAlive && framing.kind !== "close";
        const bytes = clientResponseHead(head, interim ? null : keep ? "keep-alive" : "close");
        responded = true;
        await p.clientOut.write(bytes);
        down(bytes.length);
        if (interim) continue; // 100 Continue and friends: the final response follows.
        await copyBody(new BodyScanner(framing), reader, p.clientOut, down);
        return keep;
      }
    } catch (e) {
      fail(e, UNAVAILABLE);
      return false;
    }
  };

  const uploading = upload();
  const keep = await download();
  const failed = failure;
  if (failed || !uploaded) {
    // The response is cut, failed, or came before the whole request body: this connection is done.
    if (failed?.response && !responded) await p.clientOut.write(failed.response).catch(() => {});
    p.clientOut.close();
    // An upload may still be blocked writing to a target that stopped reading: unblock it.
    p.target.close();
  }
  await uploading; // Settles at once now: it finished, or its streams were just closed.
  timer.stop();
  p.target.close();
  if (failed) return { keepAlive: false, error: failed.error };
  return { keepAlive: keep && uploaded };
}
