/**
 * A small authoritative DNS server for tests, on UDP 127.0.0.1 with an OS-chosen port: it answers
 * A and AAAA from a zone table, can answer with an error code, a SOA for negative caching, or not
 * at all, and records every query (with its EDNS client subnet). Encoding here is written apart
 * from lib/dns, so the two check each other.
 */

/** What the server knows of one name. */
export interface ZoneEntry {
  /** IPv4 answers. */
  readonly A?: readonly string[];
  /** IPv6 answers. */
  readonly AAAA?: readonly string[];
  /** TTL of the answers, s (default 300). */
  readonly ttl?: number;
  /** Response code to answer with (default 0). */
  readonly rcode?: number;
  /** A SOA in the authority section of an answer without records: [ttl, minimum]. */
  readonly soa?: readonly [number, number];
  /** Never answer. */
  readonly drop?: boolean;
}

/** One query the server received. */
export interface SeenQuery {
  /** The name, lower case. */
  readonly name: string;
  /** 1 (A) or 28 (AAAA). */
  readonly type: number;
  /** The EDNS client-subnet option data, if sent. */
  readonly subnet?: Uint8Array;
}

function ipv4(s: string): number[] {
  return s.split(".").map(Number);
}

function ipv6(s: string): number[] {
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

// The question (name, type) of a query and where it ends, plus its client subnet.
function readQuery(
  q: Uint8Array,
): { name: string; type: number; end: number; subnet?: Uint8Array } {
  let o = 12;
  const labels: string[] = [];
  while (q[o] !== 0) {
    labels.push(new TextDecoder().decode(q.subarray(o + 1, o + 1 + q[o])));
    o += 1 + q[o];
  }
  o++;
  const type = (q[o] << 8) | q[o + 1];
  const end = o + 4;
  let subnet: Uint8Array | undefined;
  // An OPT record after the question: root name, type 41, class, ttl, rdlength, options.
  if (q.length > end + 11 && q[end] === 0 && q[end + 2] === 41) {
    let p = end + 11;
    while (p + 4 <= q.length) {
      const code = (q[p] << 8) | q[p + 1], len = (q[p + 2] << 8) | q[p + 3];
      if (code === 8) subnet = q.slice(p + 4, p + 4 + len);
      p += 4 + len;
    }
  }
  return { name: labels.join(".").toLowerCase(), type, end, subnet };
}

/** The response to `query` from `zone` (null: drop it). Exported for DoH test servers. */
export function answer(
  query: Uint8Array,
  zone: Readonly<Record<string, ZoneEntry>>,
): Uint8Array | null {
  const q = readQuery(query);
  const e = zone[q.name];
  if (e?.drop) return null;
  const addrs = q.type === 1 ? e?.A ?? [] : q.type === 28 ? e?.AAAA ?? [] : [];
  const rcode = e === undefined ? 3 : e.rcode ?? 0;
  const out = [
    query[0],
    query[1],
    0x81,
    0x80 | rcode,
    ...u16(1),
    ...u16(addrs.length),
    ...u16(addrs.length === 0 && e?.soa ? 1 : 0),
    ...u16(0),
    ...query.subarray(12, q.end),
  ];
  for (const a of addrs) {
    const data = q.type === 1 ? ipv4(a) : ipv6(a);
    // The owner name is a pointer to the question's (offset 12).
    out.push(
      0xc0,
      12,
      ...u16(q.type),
      ...u16(1),
      ...u32(e?.ttl ?? 300),
      ...u16(data.length),
      ...data,
    );
  }
  if (addrs.length === 0 && e?.soa) {
    const rdata = [0, 0, ...u32(1), ...u32(3600), ...u32(600), ...u32(86400), ...u32(e.soa[1])];
    out.push(0xc0, 12, ...u16(6), ...u16(1), ...u32(e.soa[0]), ...u16(rdata.length), ...rdata);
  }
  return new Uint8Array(out);
}

/** The server. */
export class TestDnsServer implements AsyncDisposable {
  readonly #socket: Deno.DatagramConn;
  readonly #loop: Promise<void>;
  /** Every query received, in order. */
  readonly queries: SeenQuery[] = [];
  /** The zone; tests may change it between lookups. */
  zone: Record<string, ZoneEntry>;

  constructor(zone: Record<string, ZoneEntry>) {
    this.zone = zone;
    this.#socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    this.#loop = this.#serve();
  }

  /** The bound port. */
  get port(): number {
    return (this.#socket.addr as Deno.NetAddr).port;
  }

  /** Queries for `name` (of `type`, if given) so far. */
  count(name: string, type?: number): number {
    return this.queries.filter((q) => q.name === name && (type === undefined || q.type === type))
      .length;
  }

  async #serve(): Promise<void> {
    try {
      for (;;) {
        const [data, from] = await this.#socket.receive();
        const q = readQuery(data);
        this.queries.push({ name: q.name, type: q.type, subnet: q.subnet });
        const reply = answer(data, this.zone);
        if (reply) await this.#socket.send(reply, from);
      }
    } catch {
      // Closed.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#socket.close();
    await this.#loop;
  }
}
