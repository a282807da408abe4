/**
 * The PROXY protocol layer of a listen stack (acceptProxyProtocol): a v1 or v2 header is required
 * first on each connection, as V2Ray 4.34 requires it; the client address it carries becomes the
 * connection's source. A malformed or missing header is a ProtocolError (the caller closes).
 */
import type { SourceAddress } from "../core/session.ts";
import type { ByteStream } from "../core/stream.ts";
import { DEFAULT_V2_MAX_LENGTH, parseProxyHeader } from "../proxy_protocol/mod.ts";
import { readHead } from "./head_reader.ts";
import { PrefixedStream } from "./prefixed_stream.ts";

/** The stream after its PROXY header, and the source it names. */
export interface ProxiedStream {
  /** The connection's own bytes (those read past the header come first). */
  readonly stream: ByteStream;
  /** The header's source address; `peer` for LOCAL, UNKNOWN and non-IP families. */
  readonly source: SourceAddress;
}

/** Reads the PROXY header at the start of `stream`, whose socket peer is `peer`. */
export async function readProxyProtocol(
  stream: ByteStream,
  peer: SourceAddress,
): Promise<ProxiedStream> {
  const { value: header, buffered } = await readHead(
    stream,
    (b) => parseProxyHeader(b),
    16 + DEFAULT_V2_MAX_LENGTH,
    "proxy-protocol",
  );
  const rest = buffered.subarray(header.used);
  return {
    stream: rest.length > 0 ? new PrefixedStream(rest, stream) : stream,
    source: header.source ?? peer,
  };
}
