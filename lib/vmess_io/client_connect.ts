/**
 * The client side of one VMess connection: the request header sent with the first bytes (or
 * alone after 100 ms, as V2Ray does), the response header parsed before the body.
 */
import type { Destination } from "../core/destination.ts";
import { isMuxCool } from "../mux/mod.ts";
import { randomBytes, randomInt } from "../core/bytes.ts";
import type { ByteStream } from "../core/stream.ts";
import { type Clock, unixSeconds } from "../core/clock.ts";
import {
  BodyReader,
  BodyWriter,
  ClientAccount,
  type Command,
  responseBodyKeys,
  ResponseHeaderDecoder,
  type SwitchAccount,
} from "../vmess/mod.ts";
import { VmessBodyStream } from "./body_stream.ts";
import { clientBodyChoice } from "./client_security.ts";
import type { VmessEndpoint } from "./server_list.ts";
import { MAX_UDP_PAYLOAD } from "./limits.ts";

/** How long the header waits for the first payload before it is sent alone. */
export const HEADER_MERGE_MS = 100;

/** Our writer's chunk size to any peer (V2Ray's reader takes up to 65535; 16 KiB suits sing-vmess too). */
export const CLIENT_CHUNK_PAYLOAD = 16384 - 16;

/** Options of one client connection. */
export interface ClientConnectOptions {
  /** Opens the transport to the server: a TCP socket, or a stream through another outbound. */
  readonly dial: (address: string, port: number) => Promise<ByteStream>;
  /** Called with a SwitchAccount command from the server, if one arrives. */
  readonly onSwitchAccount?: (cmd: SwitchAccount, endpoint: VmessEndpoint) => void;
  /** The time of the request header (NTP-corrected when configured). */
  readonly clock: Clock;
}

/** Opens a VMess connection to `endpoint` for `destination`; TCP or UDP (one destination). */
export async function connectVmess(
  endpoint: VmessEndpoint,
  destination: Destination,
  opts: ClientConnectOptions,
): Promise<VmessBodyStream> {
  const transport = await opts.dial(endpoint.address, endpoint.port);
  try {
    const account = ClientAccount.of(endpoint.id, endpoint.alterId);
    const choice = clientBodyChoice(endpoint.security, endpoint.authenticatedLength);
    const request = { key: randomBytes(16), iv: randomBytes(16) };
    const responseAuth = randomInt(256);
    const command: Command = isMuxCool(destination)
      ? "mux"
      : destination.network === "udp"
      ? "udp"
      : "tcp";
    const packet = command === "udp";
    const header = account.encodeRequest({
      bodyKey: request.key,
      bodyIv: request.iv,
      responseAuth,
      options: choice.options,
      security: choice.security,
      command,
      destination,
    }, unixSeconds(opts.clock));
    const mode = account.mode;
    const response = responseBodyKeys(mode, request);
    const cfbBody = choice.security === "aes-128-cfb";
    const decoder = new ResponseHeaderDecoder(mode, request, responseAuth, cfbBody);
    const stream = new VmessBodyStream({
      transport,
      writer: new BodyWriter({
        security: choice.security,
        options: choice.options,
        ...request,
        packet,
        authLengthKeys: request,
        maxChunkPayload: packet ? MAX_UDP_PAYLOAD : CLIENT_CHUNK_PAYLOAD,
      }),
      prelude: (bytes) => {
        const r = decoder.push(bytes);
        if (r === null) return null;
        if (r.command) opts.onSwitchAccount?.(r.command, endpoint);
        return r.rest;
      },
      reader: () =>
        new BodyReader({
          security: choice.security,
          options: choice.options,
          ...response,
          packet,
          authLengthKeys: request,
          cfb: cfbBody ? decoder.cfb : undefined,
        }),
      prefix: header,
      noTerminator: endpoint.noTerminationSignal,
      flushAfterMs: HEADER_MERGE_MS,
    });
    return stream;
  } catch (e) {
    transport.close();
    throw e;
  }
}
