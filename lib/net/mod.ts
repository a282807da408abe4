/** Sockets and the stream layers on them: listen and dial stacks, TCP and UDP, the relays. */
export { withDeadline } from "./deadline.ts";
export { ChainDialer, ChainError, directDialer, type NetDialer } from "./dialer.ts";
export {
  type InboundConnection,
  type ListenStack,
  peerOf,
  tcpListenStack,
} from "./listen_stack.ts";
export { type ListenerOptions, MAX_CONNECTIONS, TcpListenerGroup } from "./listener.ts";
export { relayPackets } from "./packet_relay.ts";
export { PrefixedStream } from "./prefixed_stream.ts";
export { type ByteCounters, relay, type RelayOptions, type RelayResult } from "./relay.ts";
export { DEFAULT_READ_BUFFER, dialTcp, MIN_READ_BUFFER, setNoDelay, TcpStream } from "./tcp.ts";
export { UdpSocketStream } from "./udp.ts";
export { querySntp, type SntpQueryOptions, type SntpResult } from "./sntp_client.ts";
