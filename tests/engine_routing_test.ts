/**
 * End to end through real sockets: every routing rule kind picks the outbound of real connections.
 *
 * The outbounds are freedoms with a `redirect` to servers labelled "a", "b" and "c" (a TCP
 * greeting, and in the network test a UDP echo on the same port that prefixes its label), and a
 * blackhole; what comes back names the outbound. The access log (`[in -> out]`) is checked too.
 */
import { assert, assertEquals } from "./assert.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { GreetingServer, readGreeting, UdpEchoServer, udpRoundTrips } from "./helpers/net.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";

const CAROL = "5a4f1c1e-2b7d-4d0e-9c55-1e0f3b6a7c21";
const DAVE = "0c9e8d7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b";

/** A TCP greeting server and a UDP echo server on one port of 127.0.0.1, both saying `label`. */
class Labelled implements AsyncDisposable {
  readonly label: string;
  readonly tcp: GreetingServer;
  readonly udp: UdpEchoServer | null;

  private constructor(label: string, tcp: GreetingServer, udp: UdpEchoServer | null) {
    this.label = label;
    this.tcp = tcp;
    this.udp = udp;
  }

  /** Servers for `label`; with `udp`, a UDP echo answering `label:` + datagram on the TCP port. */
  static async open(label: string, udp = false): Promise<Labelled> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const tcp = new GreetingServer(label);
      if (!udp) return new Labelled(label, tcp, null);
      try {
        const prefix = new TextEncoder().encode(`${label}:`);
        return new Labelled(label, tcp, new UdpEchoServer({ port: tcp.port, prefix }));
      } catch (e) {
        await tcp[Symbol.asyncDispose]();
        // Some UDP socket holds the port the OS gave TCP: try another one.
        if (!(e instanceof Deno.errors.AddrInUse)) throw e;
      }
    }
    throw new Error(`no port was free for both TCP and UDP (${label})`);
  }

  /** The port both servers listen on. */
  get port(): number {
    return this.tcp.port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.tcp[Symbol.asyncDispose]();
    await this.udp?.[Symbol.asyncDispose]();
  }
}

/** "to-a" (the default, listed first), "to-b", "to-c" redirecting to the servers, and "block". */
function outbounds(a: Labelled, b: Labelled, c?: Labelled): Record<string, unknown>[] {
  const to = (s: Labelled) => ({
    tag: `to-${s.label}`,
    protocol: "freedom",
    settings: { redirect: `127.0.0.1:${s.port}` },
  });
  return [to(a), to(b), ...(c ? [to(c)] : []), { tag: "block", protocol: "blackhole" }];
}

/** A dokodemo-door inbound tagged `tag` to 127.0.0.1:`port` (all outbounds redirect anyway). */
function door(tag: string, port: number, extra: Record<string, unknown> = {}) {
  return {
    tag,
    listen: "127.0.0.1",
    port: 0,
    protocol: "dokodemo-door",
    settings: { address: "127.0.0.1", port, ...extra },
  };
}

/** A logger keeping access lines in `lines` and dropping the error log. */
function accessLogger(lines: string[]): Logger {
  return new Logger("none", memorySink([]), memorySink(lines));
}

/** Asserts some access line ends with `[in -> out]` and then `tail` (e.g. " email: x"). */
function assertRouted(lines: string[], inTag: string, outTag: string, tail = ""): void {
  const want = `[${inTag} -> ${outTag}]${tail}`;
  assert(
    lines.some((l) => l.endsWith(want)),
    `no access line ending ${want} in:\n${lines.join("\n")}`,
  );
}

/** The outbound tag a greeting names ("" is the blackhole). */
const outboundOf = (greeting: string) => greeting === "" ? "block" : `to-${greeting}`;

/**
 * Opens a SOCKS5 CONNECT to 127.0.0.1:`target` through `port` as `user`/`pass` (RFC 1928/1929),
 * half-closes and returns all text read until the connection ends.
 */
async function socks5Greeting(
  port: number,
  user: string,
  pass: string,
  target: number,
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  const readExactly = async (n: number): Promise<Uint8Array> => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n;) {
      const got = await conn.read(out.subarray(o));
      if (got === null) throw new Error(`socks5: connection ended after ${o} of ${n} bytes`);
      o += got;
    }
    return out;
  };
  try {
    await conn.write(new Uint8Array([5, 1, 2]));
    assertEquals([...await readExactly(2)], [5, 2], "method: username/password");
    const u = enc.encode(user), p = enc.encode(pass);
    await conn.write(new Uint8Array([1, u.length, ...u, p.length, ...p]));
    assertEquals([...await readExactly(2)], [1, 0], `password accepted for ${user}`);
    await conn.write(new Uint8Array([5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 0xff]));
    const reply = await readExactly(10);
    assertEquals(reply[1], 0, "CONNECT succeeded");
    await conn.closeWrite();
    const dec = new TextDecoder();
    const buf = new Uint8Array(1024);
    let text = "";
    for (;;) {
      // A reset also ends the text, as in readGreeting.
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return text + dec.decode();
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
  } finally {
    conn.close();
  }
}

Deno.test("engine routing: inboundTag, port number / range / list, first match wins, default", async () => {
  await using a = await Labelled.open("a");
  await using b = await Labelled.open("b");
  await using c = await Labelled.open("c");
  // Each case has its own dokodemo-door inbound, to the destination port the case names.
  const cases: { why: string; tag: string; port: number; want: string }[] = [
    { why: "inboundTag, listed first, wins over the port rule", tag: "vip", port: 1001, want: "c" },
    { why: "the second tag of an inboundTag list", tag: "vip-too", port: 9, want: "c" },
    { why: "port as a number", tag: "p1001", port: 1001, want: "b" },
    { why: "next to the port number", tag: "p1002", port: 1002, want: "a" },
    { why: "range start", tag: "p2000", port: 2000, want: "c" },
    { why: "range end (inclusive)", tag: "p2010", port: 2010, want: "c" },
    { why: "below the range", tag: "p1999", port: 1999, want: "a" },
    { why: "above the range", tag: "p2011", port: 2011, want: "a" },
    { why: "list: first number", tag: "p3001", port: 3001, want: "b" },
    { why: "list: number after a space", tag: "p3003", port: 3003, want: "b" },
    { why: "list: inside its range", tag: "p4010", port: 4010, want: "b" },
    { why: "list: a gap between its items", tag: "p3002", port: 3002, want: "a" },
    {
      why: "the earlier rule wins over a later one that matches",
      tag: "p5000",
      port: 5000,
      want: "",
    },
    { why: "the later rule where only it matches", tag: "p5001", port: 5001, want: "c" },
  ];
  const lines: string[] = [];
  await using inst = await RunningInstance.start({
    inbounds: cases.map((k) => door(k.tag, k.port)),
    outbounds: outbounds(a, b, c),
    routing: {
      rules: [
        { type: "field", inboundTag: ["vip", "vip-too"], outboundTag: "to-c" },
        { type: "field", port: 1001, outboundTag: "to-b" },
        { type: "field", port: "2000-2010", outboundTag: "to-c" },
        { type: "field", port: "3001, 3003,4000-4010", outboundTag: "to-b" },
        { type: "field", port: 5000, outboundTag: "block" },
        { type: "field", port: "4990-5010", outboundTag: "to-c" },
      ],
    },
  }, accessLogger(lines));
  for (const k of cases) {
    assertEquals(await readGreeting(inst.portOf(k.tag)), k.want, `${k.tag}: ${k.why}`);
    assertRouted(lines, k.tag, outboundOf(k.want));
  }
});

Deno.test("engine routing: network tcp / udp / tcp,udp on dokodemo-doors taking both", async () => {
  await using a = await Labelled.open("a", true);
  await using b = await Labelled.open("b", true);
  const both = { network: "tcp,udp" };
  const lines: string[] = [];
  await using inst = await RunningInstance.start({
    inbounds: [door("udp-rule", 9, both), door("tcp-rule", 9, both), door("any-rule", 9, both)],
    outbounds: outbounds(a, b),
    routing: {
      rules: [
        { type: "field", inboundTag: ["udp-rule"], network: "udp", outboundTag: "to-b" },
        { type: "field", inboundTag: ["tcp-rule"], network: "tcp", outboundTag: "to-b" },
        { type: "field", inboundTag: ["any-rule"], network: "tcp,udp", outboundTag: "to-b" },
      ],
    },
  }, accessLogger(lines));
  const cases: { tag: string; tcp: string; udp: string }[] = [
    { tag: "udp-rule", tcp: "a", udp: "b" },
    { tag: "tcp-rule", tcp: "b", udp: "a" },
    { tag: "any-rule", tcp: "b", udp: "b" },
  ];
  const ping = new TextEncoder().encode("ping");
  for (const k of cases) {
    // With "tcp,udp" on port 0, the UDP socket shares the TCP listener's port.
    const port = inst.portOf(k.tag);
    assertEquals(await readGreeting(port), k.tcp, `${k.tag}: tcp`);
    assertRouted(lines, k.tag, `to-${k.tcp}`);
    const [echo] = await udpRoundTrips(port, [ping]);
    assertEquals(new TextDecoder().decode(echo), `${k.udp}:ping`, `${k.tag}: udp`);
  }
});

/** Whether a listener can bind the IPv6 wildcard (dual-stack: IPv4 clients show as ::ffff:…). */
function canListenOnAnyIPv6(): boolean {
  try {
    Deno.listen({ hostname: "::", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("engine routing: source CIDR of the client; user email of SOCKS5 and VMess accounts", async () => {
  await using a = await Labelled.open("a");
  await using b = await Labelled.open("b");
  await using c = await Labelled.open("c");
  const dualStack = canListenOnAnyIPv6();
  const lines: string[] = [];
  await using server = await RunningInstance.start({
    inbounds: [
      door("src-v4", 9),
      ...(dualStack ? [{ ...door("src-dual", 9), listen: "::" }] : []),
      {
        tag: "socks",
        listen: "127.0.0.1",
        port: 0,
        protocol: "socks",
        settings: {
          auth: "password",
          accounts: [{ user: "alice", pass: "pa" }, { user: "bob", pass: "pb" }],
        },
      },
      {
        tag: "vmess-in",
        listen: "127.0.0.1",
        port: 0,
        protocol: "vmess",
        settings: {
          clients: [{ id: CAROL, email: "carol@test" }, { id: DAVE, email: "dave@test" }],
        },
      },
    ],
    outbounds: outbounds(a, b, c),
    routing: {
      rules: [
        // Clients are all on 127.0.0.1: this rule, listed first, must match none of them.
        { type: "field", source: ["10.0.0.0/8"], outboundTag: "block" },
        {
          type: "field",
          inboundTag: ["src-v4", "src-dual"],
          source: ["127.0.0.1/32"],
          outboundTag: "to-b",
        },
        { type: "field", user: ["alice", "carol@test"], outboundTag: "to-c" },
      ],
    },
  }, accessLogger(lines));

  // source: 127.0.0.1/32 matches the client, also as ::ffff:127.0.0.1 on a "::" listener.
  assertEquals(await readGreeting(server.portOf("src-v4")), "b", "source 127.0.0.1/32");
  assertRouted(lines, "src-v4", "to-b");
  if (dualStack) {
    assertEquals(await readGreeting(server.portOf("src-dual")), "b", "source via a :: listener");
    assertRouted(lines, "src-dual", "to-b");
  }

  // user: a SOCKS5 password account's email is its user name.
  assertEquals(await socks5Greeting(server.portOf("socks"), "alice", "pa", 9), "c", "alice");
  assertRouted(lines, "socks", "to-c", " email: alice");
  assertEquals(await socks5Greeting(server.portOf("socks"), "bob", "pb", 9), "a", "bob");
  assertRouted(lines, "socks", "to-a", " email: bob");

  // user: a VMess client's email on the VMess inbound; a client instance dials as each user.
  const vnext = (id: string) => ({
    vnext: [{ address: "127.0.0.1", port: server.portOf("vmess-in"), users: [{ id }] }],
  });
  await using client = await RunningInstance.start({
    inbounds: [door("as-carol", 9), door("as-dave", 9)],
    outbounds: [
      { tag: "carol", protocol: "vmess", settings: vnext(CAROL) },
      { tag: "dave", protocol: "vmess", settings: vnext(DAVE) },
    ],
    routing: {
      rules: [
        { type: "field", inboundTag: ["as-carol"], outboundTag: "carol" },
        { type: "field", inboundTag: ["as-dave"], outboundTag: "dave" },
      ],
    },
  });
  assertEquals(await readGreeting(client.portOf("as-carol")), "c", "carol@test");
  assertRouted(lines, "vmess-in", "to-c", " email: carol@test");
  assertEquals(await readGreeting(client.portOf("as-dave")), "a", "dave@test");
  assertRouted(lines, "vmess-in", "to-a", " email: dave@test");
});
