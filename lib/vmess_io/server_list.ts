/** The servers and users a VMess outbound may use: round robin, plus SwitchAccount entries. */
import type { Security } from "../vmess/types.ts";

/** One user account at one server. */
export interface VmessEndpoint {
  /** Server host (IP literal or domain). */
  readonly address: string;
  /** Server port. */
  readonly port: number;
  /** User UUID (canonical text). */
  readonly id: string;
  /** Legacy alter id count; 0 means AEAD headers. */
  readonly alterId: number;
  /** Configured security. */
  readonly security: Security;
  /** Policy level. */
  readonly level: number;
  /** Send option A (V2Fly's AuthenticatedLength experiment). */
  readonly authenticatedLength: boolean;
  /** Send no terminator (V2Fly's NoTerminationSignal experiment). */
  readonly noTerminationSignal: boolean;
  /** Epoch ms after which this (SwitchAccount) entry is dropped; absent for configured ones. */
  readonly expiresAt?: number;
}

/**
 * Round robin over servers; a random user of the chosen server per connection. Entries added by
 * a server's SwitchAccount command join the rotation until they expire, as in V2Ray.
 */
export class ServerList {
  readonly #servers: VmessEndpoint[][];
  #next = 0;

  /** Servers in config order, each with its users (non-empty). */
  constructor(servers: VmessEndpoint[][]) {
    this.#servers = servers.map((users) => [...users]);
  }

  /** Endpoints to try for one connection: one per server, starting at the round-robin cursor. */
  candidates(now = Date.now()): VmessEndpoint[] {
    this.#expire(now);
    const n = this.#servers.length;
    const start = this.#next % n;
    this.#next = (this.#next + 1) % n;
    const out: VmessEndpoint[] = [];
    for (let i = 0; i < n; i++) {
      const users = this.#servers[(start + i) % n];
      out.push(users[Math.floor(Math.random() * users.length)]);
    }
    return out;
  }

  /** Adds a SwitchAccount endpoint (replacing one for the same address, port and id). */
  add(endpoint: VmessEndpoint): void {
    const same = (e: VmessEndpoint) =>
      e.address === endpoint.address && e.port === endpoint.port && e.id === endpoint.id;
    for (const users of this.#servers) {
      const i = users.findIndex(same);
      if (i >= 0) {
        users[i] = endpoint;
        return;
      }
    }
    this.#servers.push([endpoint]);
  }

  // SwitchAccount entries expire; configured ones never do. A server left empty is removed.
  #expire(now: number): void {
    for (let s = this.#servers.length - 1; s >= 0; s--) {
      const users = this.#servers[s].filter((e) => e.expiresAt === undefined || e.expiresAt > now);
      if (users.length === 0) this.#servers.splice(s, 1);
      else this.#servers[s] = users;
    }
  }
}
