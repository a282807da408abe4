/**
 * The server side of one VMess connection: read and check the request header (drain on any
 * failure), then hand back who asked for what and the decoded body as a stream. The response
 * header goes out with the first bytes sent back (or on flush()).
 */
import type { Destination } from "../core/destination.ts";
import type { SessionUser } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import type { Logger, LogThrottle } from "../log/mod.ts";
import { type Clock, unixSeconds } from "../core/clock.ts";
import type { InboundConnection } from "../net/mod.ts";
import {
  type AcceptedRequest,
  BodyReader,
  BodyWriter,
  encodeResponseHeader,
  responseBodyKeys,
  type SwitchAccount,
  type VmessServer,
} from "../vmess/mod.ts";
import { readHeader } from "./handshake_io.ts";
import { VmessBodyStream } from "./body_stream.ts";
import { MAX_UDP_PAYLOAD } from "./limits.ts";

/** How a VMess handshake ended, as counted in metrics. */
export const HANDSHAKE_RESULTS = [
  "ok",
  "bad-auth",
  "clock",
  "replay",
  "bad-header",
  "refused",
  "incomplete",
] as const;

/** One of HANDSHAKE_RESULTS. */
export type HandshakeResult = typeof HANDSHAKE_RESULTS[number];

/** The result a header reader's failure code counts as. */
export function handshakeResult(code: string): HandshakeResult {
  switch (code) {
    case "bad-auth":
    case "clock":
    case "replay":
      return code;
    case "timeout":
    case "eof":
    case "io":
      return "incomplete";
    default:
      return "bad-header";
  }
}

/** What a VMess inbound shares with each of its connections. */
export interface VmessServerContext {
  /** The inbound tag, for log lines. */
  readonly tag: string;
  /** Users, replay state, drain parameters. */
  readonly server: VmessServer;
  /** Refuse none and aes-128-cfb (disableInsecureEncryption). */
  readonly secureOnly: boolean;
  /** Deadline of the header read (policy level 0 handshake), ms. */
  readonly handshakeMs: number;
  /** Where rejections are logged. */
  readonly logger: Logger;
  /** The time (NTP-corrected when configured) for the ±120 s window. */
  readonly clock: Clock;
  /** Limits the warning about a client's clock to one per user per interval. */
  readonly clockWarnings: LogThrottle;
  /** A SwitchAccount to send (dynamic port), if the inbound has a detour. */
  readonly switchAccount?: (email: string) => SwitchAccount | undefined;
  /** Told how each handshake ended (metrics). */
  readonly onHandshake?: (result: HandshakeResult) => void;
}

/** An authenticated VMess request: the user, what it asks for, and its body (plaintext both ways). */
export type VmessRequest =
  | {
    /** tcp, or udp (one destination, one datagram per chunk). */
    readonly command: "tcp" | "udp";
    /** The user the header authenticated as. */
    readonly user: SessionUser;
    /** Where the client wants to go. */
    readonly destination: Destination;
    /** The body, decoded. */
    readonly stream: VmessBodyStream;
  }
  | {
    /** Mux.Cool: sub-connections framed in the body, each with its own destination. */
    readonly command: "mux";
    /** The user the header authenticated as. */
    readonly user: SessionUser;
    /** The body, decoded. */
    readonly stream: VmessBodyStream;
  };

/**
 * Reads and checks the request header on `conn`. Null (logged once at info) when it fails or is
 * refused; the caller closes the connection either way once done.
 */
export async function acceptVmess(
  conn: InboundConnection,
  ctx: VmessServerContext,
): Promise<VmessRequest | null> {
  const { source, stream } = conn;
  const reader = ctx.server.headerReader(unixSeconds(ctx.clock));
  const outcome = await readHeader(stream, (b) => reader.push(b), {
    deadlineMs: ctx.handshakeMs,
    drainSize: ctx.server.drainSize(),
  });
  if (outcome.kind === "failed") {
    ctx.onHandshake?.(handshakeResult(outcome.code));
    const from = `vmess ${ctx.tag}: ${source.address}:${source.port} rejected`;
    const skew = outcome.code === "clock" ? reader.clockSkew : null;
    if (skew) {
      // The answer to "invalid user": a user's header, refused only for its time. A warning
      // once a minute per user, info otherwise, like any rejection.
      const email = skew.user.email;
      const held = ctx.clockWarnings.pass(email);
      const line = `${from}: ${outcome.message} (user ${email || "without email"})` +
        ` (${outcome.consumed} bytes read)`;
      if (held === null) ctx.logger.info(line);
      else ctx.logger.warning(`${line}${held > 0 ? `; ${held} more since the last warning` : ""}`);
      return null;
    }
    // One line per rejected connection, at info: probes are routine on a public port.
    ctx.logger.info(
      `${from}: ${outcome.code}: ${outcome.message} (${outcome.consumed} bytes read)`,
    );
    return null;
  }
  const req = outcome.value;
  const refusal = refuse(req, ctx.secureOnly);
  if (refusal) {
    ctx.onHandshake?.("refused");
    // The header authenticated, so the peer is a user, not a prober: no need to drain.
    ctx.logger.info(
      `vmess ${ctx.tag}: ${source.address}:${source.port} rejected ${refusal} (user ${req.user.email})`,
    );
    return null;
  }
  ctx.onHandshake?.("ok");
  const user = { email: req.user.email, level: req.user.level };
  const body = bodyStream(stream, req, outcome.rest, ctx);
  const { command, destination } = req.header;
  if (command === "mux") return { command, user, stream: body };
  return { command, user, destination: destination!, stream: body };
}

function refuse(req: AcceptedRequest, secureOnly: boolean): string | null {
  const s = req.header.security;
  if (secureOnly && (s === "none" || s === "zero" || s === "aes-128-cfb")) {
    return `insecure encryption ${s}`;
  }
  return null;
}

// The body codec on the transport, with the response header to send ahead of the first bytes.
function bodyStream(
  transport: ByteStream,
  req: AcceptedRequest,
  rest: Uint8Array,
  ctx: VmessServerContext,
): VmessBodyStream {
  const { header, user, mode } = req;
  const request = { key: header.bodyKey, iv: header.bodyIv };
  const packet = header.command === "udp";
  const { bytes: responseHeader, cfb } = encodeResponseHeader(mode, request, {
    responseAuth: header.responseAuth,
    command: ctx.switchAccount?.(user.email),
  }, header.security === "aes-128-cfb");
  const common = {
    security: header.security,
    options: header.options,
    packet,
    authLengthKeys: request,
  };
  return new VmessBodyStream({
    transport,
    reader: new BodyReader({ ...common, ...request }),
    writer: new BodyWriter({
      ...common,
      ...responseBodyKeys(mode, request),
      cfb,
      maxChunkPayload: packet ? MAX_UDP_PAYLOAD : undefined,
    }),
    prefix: responseHeader,
    initial: rest,
  });
}
