/** A minimal SOCKS5 client for tests: CONNECT, and UDP ASSOCIATE with one datagram's round trip. */
import { udpRoundTrips } from "./net.ts";

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let o = 0;
  while (o < n) {
    const got = await conn.read(out.subarray(o));
    if (got === null) throw new Error(`SOCKS server closed after ${o} of ${n} bytes`);
    o += got;
  }
  return out;
}

// Greeting (no auth) and a request for 127.0.0.1:port; returns the reply's bound port.
async function request(conn: Deno.Conn, cmd: number, port: number): Promise<number> {
  await conn.write(new Uint8Array([5, 1, 0]));
  const hello = await readExactly(conn, 2);
  if (hello[1] !== 0) throw new Error(`SOCKS server wants auth method ${hello[1]}`);
  await conn.write(new Uint8Array([5, cmd, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff]));
  const reply = await readExactly(conn, 10);
  if (reply[1] !== 0 || reply[3] !== 1) throw new Error(`SOCKS reply ${[...reply].join(",")}`);
  return (reply[8] << 8) | reply[9];
}

/** Opens a CONNECT tunnel to 127.0.0.1:`target` through the SOCKS5 server at 127.0.0.1:`proxy`. */
export async function socksConnect(proxy: number, target: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy });
  try {
    await request(conn, 1, target);
    return conn;
  } catch (e) {
    conn.close();
    throw e;
  }
}

/**
 * UDP ASSOCIATE through the SOCKS5 server at 127.0.0.1:`proxy`, then sends `payload` to
 * 127.0.0.1:`target` through the relay; returns the payload of the answer.
 */
export async function socksUdpRoundTrip(
  proxy: number,
  target: number,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port: proxy });
  try {
    const relay = await request(tcp, 3, 0);
    // RSV RSV FRAG ATYP=1 127.0.0.1 PORT DATA; the answer carries the same header.
    const header = [0, 0, 0, 1, 127, 0, 0, 1, target >> 8, target & 0xff];
    const [reply] = await udpRoundTrips(relay, [new Uint8Array([...header, ...payload])]);
    return reply.subarray(header.length);
  } finally {
    tcp.close();
  }
}
