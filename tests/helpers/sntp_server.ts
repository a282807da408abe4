/** A local SNTP server for tests: answers on 127.0.0.1 with its own (shiftable) clock. */
import { NTP_PACKET_SIZE, unixMsToNtpTimestamp } from "../../lib/ntp/mod.ts";

/** How the server answers. */
export interface SntpServerOptions {
  /** The server's time, ms since the epoch (default: the system clock). */
  readonly clock?: () => number;
  /** Answer with a kiss-o'-death of this code (e.g. "RATE") instead of the time. */
  readonly kiss?: string;
  /** Answer nothing (a server that is down). */
  readonly silent?: boolean;
}

/** An SNTP server on 127.0.0.1 and a port from the OS; counts the requests it got. */
export class SntpServer implements AsyncDisposable {
  readonly socket: Deno.DatagramConn;
  requests = 0;
  readonly #loop: Promise<void>;

  /** Starts answering. */
  constructor(opts: SntpServerOptions = {}) {
    const clock = opts.clock ?? Date.now;
    this.socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const socket = this.socket;
    this.#loop = (async () => {
      try {
        for (;;) {
          const [req, from] = await socket.receive();
          this.requests++;
          if (opts.silent || req.length < NTP_PACKET_SIZE) continue;
          const received = clock();
          const p = new Uint8Array(NTP_PACKET_SIZE);
          p[0] = (0 << 6) | (4 << 3) | 4; // LI 0, VN 4, server
          if (opts.kiss) {
            p[1] = 0;
            p.set(new TextEncoder().encode(opts.kiss.padEnd(4, " ").slice(0, 4)), 12);
          } else {
            p[1] = 2;
            p.set(new TextEncoder().encode("TEST"), 12);
          }
          p.set(req.subarray(40, 48), 24); // originate = the request's transmit
          p.set(unixMsToNtpTimestamp(received), 32);
          p.set(unixMsToNtpTimestamp(clock()), 40);
          await socket.send(p, from);
        }
      } catch {
        // Closed.
      }
    })();
  }

  /** The bound port. */
  get port(): number {
    return (this.socket.addr as Deno.NetAddr).port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.socket.close();
    await this.#loop;
  }
}
