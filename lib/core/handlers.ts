/** The contracts between inbounds, the dispatcher and outbounds. */
import type { Destination } from "./destination.ts";
import type { Session } from "./session.ts";
import type { ByteStream } from "./stream.ts";

/** A datagram with its peer, for UDP paths. */
export interface Datagram {
  /** Payload. */
  readonly data: Uint8Array;
  /** The remote end this datagram came from or goes to. */
  readonly peer: Destination;
}

/** A UDP flow to one or more destinations through an outbound. */
export interface PacketStream {
  /** The next datagram from any destination, or null when the flow is closed. */
  read(): Promise<Datagram | null>;
  /** Sends one datagram to `packet.peer`. */
  write(packet: Datagram): Promise<void>;
  /** Closes the flow. Idempotent. */
  close(): void;
}

/** Opens connections on behalf of inbounds: routes, then dials the chosen outbound. */
export interface Dispatcher {
  /** The outbound routing picks for this session and destination. */
  route(session: Session, destination: Destination): Promise<Outbound>;
  /** Routes a TCP session and returns the outbound's stream to `destination`. */
  dispatch(session: Session, destination: Destination): Promise<ByteStream>;
  /** Routes a UDP session to `destination` (its first peer) and returns a packet flow. */
  dispatchPacket(session: Session, destination: Destination): Promise<PacketStream>;
}

/** An outbound handler: freedom, blackhole, vmess. */
export interface Outbound {
  /** The outbound's tag ("" if untagged). */
  readonly tag: string;
  /** Opens a TCP stream to `destination`. */
  dial(session: Session, destination: Destination): Promise<ByteStream>;
  /** Opens a UDP flow whose first peer is `destination`. */
  dialPacket(session: Session, destination: Destination): Promise<PacketStream>;
  /** Releases what it holds between connections (pooled Mux.Cool connections), if anything. */
  close?(): void;
}

/** State an inbound carries across restarts (VMess replay filters). */
export interface PersistentState {
  /** Changes whenever there is something new to save. */
  readonly version: number;
  /** A JSON-serializable snapshot. */
  save(): unknown;
  /** Takes back a snapshot an earlier run saved; ignores one it cannot read. */
  restore(snapshot: unknown, nowSec: number): void;
}

/** An inbound handler: a listener that hands its connections to the dispatcher. */
export interface Inbound {
  /** What it keeps across restarts, if anything. */
  readonly persistent?: PersistentState;
  /** The inbound's tag ("" if untagged). */
  readonly tag: string;
  /** Binds its listeners; rejects if a port cannot be bound. */
  start(): Promise<void>;
  /** Where it listens, for the start-up log line (e.g. "tcp 127.0.0.1:1080"). */
  addresses(): string[];
  /** Connections (and UDP flows) open now. */
  active(): number;
  /** Stops accepting, then closes live connections after `graceMs`. */
  close(graceMs: number): Promise<void>;
  /**
   * Stops accepting (its ports are free again) while its live TCP connections run on until they
   * end or close() ends them; its UDP sockets, which carry their flows, close now.
   */
  stopAccepting(): Promise<void>;
  /** Settles once none of its connections is open. */
  whenIdle(): Promise<void>;
  /**
   * Instead of binding in start(), takes over the listeners of `previous`, the inbound of the
   * config before a reload that listens alike (same class, address, ports, stream settings): they
   * accept into this one from now on, with no gap; `previous` gives them up, and their open
   * connections finish as they began. Throws if `previous` is not of its own kind.
   */
  takeListeners(previous: Inbound): void;
  /** Takes over what `previous` (its tag before a reload) keeps: VMess replay filters, accounts. */
  inherit(previous: Inbound): void;
}
