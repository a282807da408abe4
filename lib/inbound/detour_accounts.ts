/** The account a VMess detour target hands out per email, as V2Ray's inbound GetUser does. */
import { randomInt } from "../core/bytes.ts";
import { parseUuid, type SwitchAccount, type VmessServer, type VmessUser } from "../vmess/mod.ts";

/**
 * Per-email accounts of a detour target: its configured client with that email, else a new random
 * id with the target's `default` level and alterId, added to its users and kept.
 */
export class DetourAccounts {
  readonly #server: VmessServer;
  readonly #default: { readonly level: number; readonly alterId: number };
  readonly #made = new Map<string, VmessUser>();

  /** Accounts of `server`; new ones take `defaults`. */
  constructor(server: VmessServer, defaults = { level: 0, alterId: 0 }) {
    this.#server = server;
    this.#default = defaults;
  }

  /** The account for `email` (emails compare case-insensitively, as in V2Ray). */
  accountFor(email: string): VmessUser {
    const key = email.toLowerCase();
    const configured = key === ""
      ? undefined
      : this.#server.users.users.find((u) => u.user.email.toLowerCase() === key)?.user;
    if (configured) return configured;
    let made = this.#made.get(key);
    if (!made) {
      made = { id: parseUuid(crypto.randomUUID())!, ...this.#default, email };
      this.#made.set(key, made);
      this.#server.users.add(made);
    }
    return made;
  }

  /**
   * Keeps the accounts `previous` (the same inbound before a reload) made, since clients hold them
   * for their validity; an email configured here now keeps its configured account instead.
   */
  takeOver(previous: DetourAccounts): void {
    const configured = new Set(this.#server.users.users.map((u) => u.user.email.toLowerCase()));
    for (const [key, user] of previous.#made) {
      if (this.#made.has(key) || (key !== "" && configured.has(key))) continue;
      this.#made.set(key, user);
      this.#server.users.add(user);
    }
  }

  /** A SwitchAccount to one of `ports` for `email`'s account, or none without a port. */
  switchAccount(email: string, ports: readonly number[], validMinutes: number) {
    if (ports.length === 0) return undefined;
    const user = this.accountFor(email);
    const cmd: SwitchAccount = {
      host: "",
      port: ports[randomInt(ports.length)],
      id: user.id,
      alterIds: user.alterId,
      level: user.level,
      validMinutes: Math.min(255, validMinutes),
    };
    return cmd;
  }
}
