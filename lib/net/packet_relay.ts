/** Relays datagrams between a client-side packet flow and a target flow, with an idle timeout. */
import type { PacketStream } from "../core/handlers.ts";
import { ActivityTimer } from "./activity_timer.ts";

/** Pumps both ways until either side ends, fails, or nothing moves for `idleMs`; never rejects. */
export async function relayPackets(
  a: PacketStream,
  b: PacketStream,
  idleMs: number,
): Promise<void> {
  const close = () => {
    a.close();
    b.close();
  };
  const timer = new ActivityTimer(idleMs, close);
  const pump = async (from: PacketStream, to: PacketStream) => {
    try {
      for (let p = await from.read(); p !== null; p = await from.read()) {
        timer.touch();
        await to.write(p);
      }
    } catch {
      // Either side failing ends the flow.
    } finally {
      close();
    }
  };
  await Promise.all([pump(a, b), pump(b, a)]);
  timer.stop();
}
