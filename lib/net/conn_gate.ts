/**
 * Admission of inbound connections, process-wide: a descriptor budget below the process's limit
 * (so we refuse before the kernel does), a separate cap on connections still in their handshake,
 * and a per-source cap on those; the oldest handshaking connection is shed to make room, so a
 * flood of idle connections cannot lock working users out.
 */

/** The caps a gate enforces. */
export interface GateLimits {
  /** Descriptors inbound connections may hold: one while handshaking, two once established. */
  readonly descriptors: number;
  /** Connections in their handshake at most; past it the oldest one is shed. */
  readonly handshaking: number;
  /** Handshaking connections from one source address at most; past it its oldest is shed. */
  readonly handshakingPerSource: number;
}

/** Descriptors kept back for listeners, log files, DNS and the runtime itself. */
export const RESERVED_DESCRIPTORS = 64;

/** The caps for a process allowed `fdLimit` open descriptors. */
export function limitsForDescriptors(fdLimit: number): GateLimits {
  const descriptors = Math.max(fdLimit - RESERVED_DESCRIPTORS, 16);
  const handshaking = Math.max(Math.floor(descriptors / 4), 8);
  return {
    descriptors,
    handshaking,
    handshakingPerSource: Math.max(Math.floor(handshaking / 4), 4),
  };
}

/** What the gate did since the last look (for the periodic summary line and metrics). */
export interface GateCounts {
  /** Connections closed at once: no descriptor left and nothing to shed. */
  refused: number;
  /** Handshaking connections closed to make room for newer ones. */
  shed: number;
  /** accept() failures for want of descriptors (or memory). */
  acceptErrors: number;
}

/** One admitted connection. */
export interface GateTicket {
  /** The handshake is done: the connection can no longer be shed (and counts two descriptors). */
  established(): void;
  /** The connection is closed; idempotent. */
  release(): void;
}

interface Entry {
  readonly source: string;
  readonly shed: () => void;
  state: "handshaking" | "established" | "gone";
}

/** Admits, sheds and refuses inbound connections against one set of limits. */
export class ConnectionGate {
  readonly limits: GateLimits;
  // Insertion order is age order: the first entry is the oldest handshaking connection.
  readonly #handshaking = new Set<Entry>();
  readonly #bySource = new Map<string, Set<Entry>>();
  #established = 0;
  #counts: GateCounts = { refused: 0, shed: 0, acceptErrors: 0 };
  /** Counts since the gate was made (never reset). */
  readonly totals: GateCounts = { refused: 0, shed: 0, acceptErrors: 0 };

  /** A gate with `limits`. */
  constructor(limits: GateLimits) {
    this.limits = limits;
  }

  /** Descriptors held by admitted connections. */
  get inUse(): number {
    return this.#handshaking.size + 2 * this.#established;
  }

  /** Connections in their handshake now. */
  get handshaking(): number {
    return this.#handshaking.size;
  }

  /** Established connections now. */
  get established(): number {
    return this.#established;
  }

  /** Counts since the last call, reset. */
  takeCounts(): GateCounts {
    const c = this.#counts;
    this.#counts = { refused: 0, shed: 0, acceptErrors: 0 };
    return c;
  }

  /** Notes an accept() that failed for want of descriptors. */
  noteAcceptError(): void {
    this.#counts.acceptErrors++;
    this.totals.acceptErrors++;
  }

  /**
   * Admits a connection from `source` (shedding older handshaking ones as the caps require), or
   * returns null when it must be refused. `shed` closes it if it is shed later.
   */
  admit(source: string, shed: () => void): GateTicket | null {
    const mine = this.#bySource.get(source);
    if (mine && mine.size >= this.limits.handshakingPerSource) this.#shedOldest(mine);
    if (this.#handshaking.size >= this.limits.handshaking) this.#shedOldest(this.#handshaking);
    if (this.inUse + 1 > this.limits.descriptors && !this.#shedOldest(this.#handshaking)) {
      this.#counts.refused++;
      this.totals.refused++;
      return null;
    }
    const entry: Entry = { source, shed, state: "handshaking" };
    this.#handshaking.add(entry);
    const set = mine ?? new Set<Entry>();
    set.add(entry);
    if (!mine) this.#bySource.set(source, set);
    return {
      established: () => {
        if (entry.state !== "handshaking") return;
        this.#forget(entry);
        entry.state = "established";
        this.#established++;
        // Its second descriptor (the outbound) may need room: an idle handshake gives it up.
        if (this.inUse > this.limits.descriptors) this.#shedOldest(this.#handshaking);
      },
      release: () => {
        if (entry.state === "established") this.#established--;
        else if (entry.state === "handshaking") this.#forget(entry);
        entry.state = "gone";
      },
    };
  }

  #forget(entry: Entry): void {
    this.#handshaking.delete(entry);
    const set = this.#bySource.get(entry.source);
    set?.delete(entry);
    if (set?.size === 0) this.#bySource.delete(entry.source);
  }

  // Closes the oldest handshaking connection of `among`; false if there is none.
  #shedOldest(among: Set<Entry>): boolean {
    const oldest = among.values().next();
    if (oldest.done) return false;
    const entry = oldest.value;
    this.#forget(entry);
    entry.state = "gone";
    this.#counts.shed++;
    this.totals.shed++;
    entry.shed();
    return true;
  }
}

/** The soft limit on open descriptors (Linux /proc/self/limits), or null where it cannot be read. */
export function descriptorLimit(readLimits: () => string): number | null {
  let text: string;
  try {
    text = readLimits();
  } catch {
    return null;
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!m) return null;
  return m[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}
