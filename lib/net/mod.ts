/** Sockets and the stream layers on them: listen and dial stacks, TCP and UDP, the relays. */
export { withDeadline } from "./deadline.ts";
export { ChainDialer, ChainError, directDialer, type NetDialer } from "./dialer.ts";
export {
  type InboundConnection,
  type ListenStack,
  type OpenedStream,
  peerOf,
  tcpListenStack,
} from "./listen_stack.ts";
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
