/** A UDP flow whose payload bytes are counted like a TCP relay's (uplink: client → target). */
import type { PacketStream } from "../core/handlers.ts";
import type { Session } from "../core/session.ts";
import type { TrafficStats } from "./counters.ts";

/** `flow` (the target side of `session`, by outbound `outTag`) counting into `stats`. */
export function countedPackets(
  flow: PacketStream,
  stats: TrafficStats,
  session: Session,
  outTag: string,
): PacketStream {
  return {
    read: async () => {
      const p = await flow.read();
      if (p) stats.count(session, outTag, 0, p.data.length);
      return p;
    },
    write: async (p) => {
      await flow.write(p);
      stats.count(session, outTag, p.data.length, 0);
    },
    close: () => flow.close(),
  };
}
