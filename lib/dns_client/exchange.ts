/**
 * One query, one response: over UDP to a name server (a fresh socket per query, so the source
 * port is random too) or over HTTPS (RFC 8484, POST), each bounded by a timeout.
 */
import { addressKind } from "../core/destination.ts";
import { ipBytes } from "../core/cidr.ts";
import { DnsFormatError, type DnsResponse, parseResponse } from "../dns/mod.ts";
import { DnsLookupError } from "./errors.ts";

/** What the answer must echo: the id and the question. */
export interface Expected {
  /** The query's id. */
  readonly id: number;
  /** The name asked (lower case, no trailing dot). */
  readonly name: string;
  /** The numeric record type asked. */
  readonly type: number;
}

// Whether `r` answers the query (a spoofed or stray datagram does not).
function answers(r: DnsResponse, q: Expected): boolean {
  return r.isResponse && r.id === q.id &&
    (r.question === undefined ||
      (r.question.name === q.name.toLowerCase().replace(/\.$/, "") && r.question.type === q.type));
}

function sameAddress(a: string, b: string): boolean {
  const x = ipBytes(a), y = ipBytes(b);
  return x !== null && y !== null && x.length === y.length && x.every((v, i) => v === y[i]);
}

/** A UDP name server. */
export interface UdpServer {
  /** An IP literal (a domain is resolved by `resolveHost` first). */
  readonly host: string;
  /** Its port. */
  readonly port: number;
}

/**
 * Sends `query` to `server` from a fresh socket and waits up to `timeoutMs` for the datagram that
 * answers it; others (wrong source, id or question, or malformed) are ignored.
 */
export async function udpExchange(
  server: UdpServer,
  query: Uint8Array,
  expected: Expected,
  timeoutMs: number,
): Promise<DnsResponse> {
  const v6 = addressKind(server.host) === "ipv6";
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ transport: "udp", hostname: v6 ? "::" : "0.0.0.0", port: 0 });
  } catch (e) {
    throw new DnsLookupError("unreachable", `cannot open a UDP socket: ${(e as Error).message}`, {
      cause: e,
    });
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    socket.close();
  }, timeoutMs);
  try {
    await socket.send(query, { transport: "udp", hostname: server.host, port: server.port });
    for (;;) {
      const [data, from] = await socket.receive();
      const peer = from as Deno.NetAddr;
      if (peer.port !== server.port || !sameAddress(peer.hostname, server.host)) continue;
      let r: DnsResponse;
      try {
        r = parseResponse(data);
      } catch (e) {
        if (e instanceof DnsFormatError) continue;
        throw e;
      }
      if (answers(r, expected)) return r;
    }
  } catch (e) {
    if (timedOut) {
      throw new DnsLookupError("timeout", `no answer in ${timeoutMs} ms`);
    }
    throw new DnsLookupError("unreachable", (e as Error).message, { cause: e });
  } finally {
    clearTimeout(timer);
    if (!timedOut) socket.close();
  }
}

/** The fetch DoH uses (replaceable in tests). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** The most bytes read from a DoH response (a DNS message is at most 65535). */
const MAX_DOH_BODY = 65535;

/** POSTs `query` to the DoH `url` and parses the answer, within `timeoutMs`. */
export async function dohExchange(
  url: string,
  query: Uint8Array,
  expected: Expected,
  timeoutMs: number,
  fetchFn: FetchLike = fetch,
): Promise<DnsResponse> {
  const signal = AbortSignal.timeout(timeoutMs);
  let body: Uint8Array;
  try {
    const res = await fetchFn(url, {
      method: "POST",
      headers: { "content-type": "application/dns-message", accept: "application/dns-message" },
      body: query as Uint8Array<ArrayBuffer>,
      signal,
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new DnsLookupError("unreachable", `HTTP ${res.status} from ${url}`);
    }
    body = await readLimited(res, MAX_DOH_BODY);
  } catch (e) {
    if (e instanceof DnsLookupError) throw e;
    if (signal.aborted) throw new DnsLookupError("timeout", `no answer in ${timeoutMs} ms`);
    throw new DnsLookupError("unreachable", `${url}: ${(e as Error).message}`, { cause: e });
  }
  let r: DnsResponse;
  try {
    r = parseResponse(body);
  } catch (e) {
    throw new DnsLookupError("unreachable", `${url}: ${(e as Error).message}`, { cause: e });
  }
  if (!answers(r, expected)) {
    throw new DnsLookupError("unreachable", `${url}: the answer is not for this query`);
  }
  return r;
}

async function readLimited(res: Response, max: number): Promise<Uint8Array> {
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel();
      throw new DnsFormatError("DoH answer larger than a DNS message");
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
