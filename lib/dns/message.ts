/**
 * DNS messages (RFC 1035): A and AAAA queries out, their responses in. Parsing is bounded and
 * refuses malformed input with DnsFormatError: names follow compression pointers only backwards
 * and at most 127 times (so they cannot loop), and every length is checked against the message.
 */
import { DenorayError } from "../core/errors.ts";
import { formatIP } from "../core/destination.ts";

/** The record types queried for addresses. */
export const ADDRESS_TYPES = ["A", "AAAA"] as const;

/** A or AAAA. */
export type AddressType = (typeof ADDRESS_TYPES)[number];

/** Numeric record types used here. */
export const TYPE = { A: 1, CNAME: 5, SOA: 6, AAAA: 28, OPT: 41 } as const;

const CLASS_IN = 1;

/** Response codes that have a name here. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/** A message that is not valid DNS, or a name that cannot be encoded. */
export class DnsFormatError extends DenorayError {
  /** A format problem described by `message`. */
  constructor(message: string) {
    super("dns-format", message);
  }
}

/** The EDNS client subnet a query carries (RFC 7871). */
export interface ClientSubnet {
  /** The client's address bytes (4 or 16). */
  readonly address: Uint8Array;
  /** How many leading bits of it are sent. */
  readonly prefix: number;
}

/** What a query asks. */
export interface QuerySpec {
  /** The 16-bit message id (random, chosen by the caller). */
  readonly id: number;
  /** The name asked for, without a trailing dot needed. */
  readonly name: string;
  /** A or AAAA. */
  readonly type: AddressType;
  /** An EDNS client subnet to send, if any. */
  readonly clientSubnet?: ClientSubnet;
}

/** The advertised UDP payload size of our EDNS queries (4.34's value). */
export const EDNS_UDP_SIZE = 1350;

const MAX_NAME = 255;

/** The wire form of `name` (labels of 1–63 bytes, 255 in all); DnsFormatError if it has none. */
export function encodeName(name: string): Uint8Array {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed === "") return new Uint8Array([0]);
  const labels = trimmed.split(".");
  const out: number[] = [];
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) {
      throw new DnsFormatError(`${JSON.stringify(name)}: a label must have 1 to 63 characters`);
    }
    out.push(l.length);
    for (let i = 0; i < l.length; i++) {
      const c = l.charCodeAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new DnsFormatError(`${JSON.stringify(name)}: only printable ASCII names are sent`);
      }
      out.push(c);
    }
  }
  out.push(0);
  if (out.length > MAX_NAME) throw new DnsFormatError(`${JSON.stringify(name)}: name too long`);
  return new Uint8Array(out);
}

function subnetOption(s: ClientSubnet): number[] {
  const family = s.address.length === 4 ? 1 : 2;
  const bytes = Math.ceil(s.prefix / 8);
  const addr = Array.from(s.address.subarray(0, bytes));
  // Bits past the prefix are zero on the wire (RFC 7871 §6).
  if (s.prefix % 8 !== 0) addr[bytes - 1] &= (0xff << (8 - (s.prefix % 8))) & 0xff;
  const data = [family >> 8, family & 0xff, s.prefix, 0, ...addr];
  return [0, 8, data.length >> 8, data.length & 0xff, ...data];
}

/** A recursive query for one A or AAAA record set, with EDNS (and a client subnet if given). */
export function buildQuery(q: QuerySpec): Uint8Array {
  const name = encodeName(q.name);
  const option = q.clientSubnet ? subnetOption(q.clientSubnet) : [];
  const type = TYPE[q.type];
  const header = [q.id >> 8, q.id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1];
  const question = [...name, type >> 8, type & 0xff, 0, CLASS_IN];
  // OPT pseudo-record: root name, type, payload size as class, TTL 0, options.
  const opt = [
    0,
    0,
    TYPE.OPT,
    EDNS_UDP_SIZE >> 8,
    EDNS_UDP_SIZE & 0xff,
    0,
    0,
    0,
    0,
    option.length >> 8,
    option.length & 0xff,
    ...option,
  ];
  return new Uint8Array([...header, ...question, ...opt]);
}

/** One address record of an answer. */
export interface AddressAnswer {
  /** The owner name, lower case, without the trailing dot. */
  readonly name: string;
  /** A or AAAA. */
  readonly type: AddressType;
  /** Seconds it may be cached. */
  readonly ttl: number;
  /** The address as text. */
  readonly address: string;
}

/** What a response says. */
export interface DnsResponse {
  /** The message id. */
  readonly id: number;
  /** Whether it is a response (QR set). */
  readonly isResponse: boolean;
  /** The response code (the low 4 bits; extended codes are not read). */
  readonly rcode: number;
  /** Whether the server truncated it (TC). */
  readonly truncated: boolean;
  /** The first question, if any (name lower case, no trailing dot). */
  readonly question?: { readonly name: string; readonly type: number };
  /** The A and AAAA records of the answer section (others, e.g. CNAME, are skipped). */
  readonly answers: readonly AddressAnswer[];
  /**
   * For a negative answer: how long it may be cached, from the authority section's SOA
   * (the smaller of its TTL and its MINIMUM, RFC 2308 §5); undefined without a SOA.
   */
  readonly negativeTtl?: number;
}

class Reader {
  #o = 0;
  constructor(readonly b: Uint8Array) {}

  get offset(): number {
    return this.#o;
  }

  need(n: number): void {
    if (this.#o + n > this.b.length) throw new DnsFormatError("message ends early");
  }

  u8(): number {
    this.need(1);
    return this.b[this.#o++];
  }

  u16(): number {
    this.need(2);
    const v = (this.b[this.#o] << 8) | this.b[this.#o + 1];
    this.#o += 2;
    return v;
  }

  u32(): number {
    const hi = this.u16();
    return hi * 0x10000 + this.u16();
  }

  skip(n: number): void {
    this.need(n);
    this.#o += n;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.b.subarray(this.#o, this.#o + n);
    this.#o += n;
    return out;
  }

  // A possibly compressed name, read at the cursor (which moves past its in-place part).
  name(): string {
    const labels: string[] = [];
    let at = this.#o, end = -1, total = 1, jumps = 0;
    for (;;) {
      if (at >= this.b.length) throw new DnsFormatError("name runs past the message");
      const len = this.b[at];
      if (len === 0) {
        if (end < 0) end = at + 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (at + 1 >= this.b.length) throw new DnsFormatError("name runs past the message");
        const target = ((len & 0x3f) << 8) | this.b[at + 1];
        // Only backwards: every jump lands strictly earlier, so a name cannot loop.
        if (target >= at) throw new DnsFormatError("compression pointer does not point back");
        // A real name has at most 127 labels, so it needs no more jumps than that.
        if (++jumps > 127) throw new DnsFormatError("too many compression pointers");
        if (end < 0) end = at + 2;
        at = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new DnsFormatError("unknown label type");
      if (at + 1 + len > this.b.length) throw new DnsFormatError("label runs past the message");
      total += len + 1;
      if (total > MAX_NAME) throw new DnsFormatError("name longer than 255 bytes");
      let s = "";
      for (let i = at + 1; i <= at + len; i++) s += String.fromCharCode(this.b[i]);
      labels.push(s.toLowerCase());
      at += 1 + len;
    }
    this.#o = end;
    return labels.join(".");
  }
}

/** Parses a response; DnsFormatError when it is not a well-formed DNS message. */
export function parseResponse(bytes: Uint8Array): DnsResponse {
  const r = new Reader(bytes);
  const id = r.u16();
  const flags = r.u16();
  const qd = r.u16(), an = r.u16(), ns = r.u16();
  r.u16(); // additional records are not read
  let question: DnsResponse["question"];
  for (let i = 0; i < qd; i++) {
    const name = r.name();
    const type = r.u16();
    r.u16();
    question ??= { name, type };
  }
  const answers: AddressAnswer[] = [];
  for (let i = 0; i < an; i++) {
    const name = r.name();
    const type = r.u16(), cls = r.u16(), ttl = r.u32(), len = r.u16();
    const data = r.bytes(len);
    if (cls !== CLASS_IN) continue;
    if (type === TYPE.A || type === TYPE.AAAA) {
      const want = type === TYPE.A ? 4 : 16;
      if (len !== want) throw new DnsFormatError(`address record of ${len} bytes`);
      // RFC 2181 §8: a TTL with the top bit set is read as 0.
      answers.push({
        name,
        type: type === TYPE.A ? "A" : "AAAA",
        ttl: ttl > 0x7fff_ffff ? 0 : ttl,
        address: formatIP(data.slice()),
      });
    }
  }
  let negativeTtl: number | undefined;
  for (let i = 0; i < ns; i++) {
    r.name();
    const type = r.u16();
    r.u16();
    const ttl = r.u32(), len = r.u16();
    const start = r.offset;
    if (type === TYPE.SOA && negativeTtl === undefined) {
      r.name();
      r.name();
      r.skip(16); // serial, refresh, retry, expire
      const minimum = r.u32();
      if (r.offset !== start + len) throw new DnsFormatError("SOA record length mismatch");
      negativeTtl = Math.min(ttl > 0x7fff_ffff ? 0 : ttl, minimum > 0x7fff_ffff ? 0 : minimum);
    } else r.skip(len);
  }
  return {
    id,
    isResponse: (flags & 0x8000) !== 0,
    rcode: flags & 0x000f,
    truncated: (flags & 0x0200) !== 0,
    question,
    answers,
    negativeTtl,
  };
}
