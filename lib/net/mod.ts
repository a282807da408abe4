/**
 * Sockets and the stream layers on them: listen and dial stacks (TCP, PROXY protocol, TLS,
 * WebSocket, the TCP HTTP header), TCP and UDP, the relays.
 */
export { withDeadline } from "./deadline.ts";
export { ChainDialer, ChainError, directDialer, type NetDialer } from "./dialer.ts";
export { type DialStackOptions, layeredDialer } from "./dial_stack.ts";
export {
  buildListenStack,
  type InboundConnection,
  type ListenStack,
  type ListenStackOptions,
  type OpenedStream,
  peerOf,
  tcpListenStack,
} from "./listen_stack.ts";
export { EndedBeforeHead, type HeadRead, readHead } from "./head_reader.ts";
export { acceptHttpHeader, HttpHeaderClientStream } from "./http_header_layer.ts";
export { type ProxiedStream, readProxyProtocol } from "./proxy_protocol_layer.ts";
export { connectTls, type TlsClientOptions } from "./tls_client.ts";
export { acceptTls, listenTls, tlsHandshake, type TlsServerOptions } from "./tls_server.ts";
export {
  clientAlpn,
  pemText,
  serverAlpn,
  serverIdentity,
  type TlsServerIdentity,
  trustAnchors,
} from "./tls_settings.ts";
export { connectWebSocket, type WsClientLayerOptions } from "./ws_client.ts";
export {
  acceptWebSocket,
  type ForwardedForTrust,
  forwardedForTrust,
  type WsServerLayerOptions,
} from "./ws_server.ts";
export { WS_PING_MS, WsStream, type WsStreamOptions } from "./ws_stream.ts";
export {
  ACCEPT_BACKOFF_MS,
  type AcceptFailure,
  classifyAcceptError,
  type ListenerOptions,
  type ListenerServices,
  TcpListenerGroup,
} from "./listener.ts";
export {
  ConnectionGate,
  descriptorLimit,
  type GateCounts,
  type GateLimits,
  type GateTicket,
  limitsForDescriptors,
  RESERVED_DESCRIPTORS,
} from "./conn_gate.ts";
export { relayPackets } from "./packet_relay.ts";
export { PrefixedStream } from "./prefixed_stream.ts";
export { type ByteCounters, relay, type RelayOptions, type RelayResult } from "./relay.ts";
export { DEFAULT_READ_BUFFER, dialTcp, MIN_READ_BUFFER, setNoDelay, TcpStream } from "./tcp.ts";
export { UdpSocketStream } from "./udp.ts";
export { querySntp, type SntpQueryOptions, type SntpResult } from "./sntp_client.ts";
