/**
 * Sniffing in the engine (lib/engine/sniffing.ts) and end to end: the bytes read while sniffing
 * reach the target unchanged, a client that does not speak first is not stalled past the bound,
 * and real clients (curl over SOCKS and through a dokodemo-door with TLS) are routed by the name
 * only sniffing can see; routing on `protocol` and `attrs`.
 */
import { assert, assertEquals } from "./assert.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { curl, HttpOrigin } from "./helpers/http_server.ts";
import { EchoServer, GreetingServer } from "./helpers/net.ts";
import { clientHelloMessage, inRecords } from "./helpers/tls_hello.ts";
import type { ByteStream } from "../lib/core/stream.ts";
import { applySniffed, sniffClient } from "../lib/engine/sniffing.ts";
import type { Session } from "../lib/core/session.ts";

/** A ByteStream fed by the test: reads wait for what push() gives (bytes, end, or an error). */
class FedStream implements ByteStream {
  readonly #queue: (Uint8Array | null | Error)[] = [];
  #waiting: ((v: Uint8Array | null | Error) => void) | null = null;
  reads = 0;

  push(v: Uint8Array | null | Error): void {
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = null;
      w(v);
    } else this.#queue.push(v);
  }

  async read(): Promise<Uint8Array | null> {
    this.reads++;
    const v = this.#queue.length > 0
      ? this.#queue.shift()!
      : await new Promise<Uint8Array | null | Error>((r) => (this.#waiting = r));
    if (v instanceof Error) throw v;
    return v;
  }

  write(): Promise<void> {
    return Promise.resolve();
  }

  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}

async function readAll(s: ByteStream): Promise<Uint8Array> {
  const parts: number[] = [];
  for (let b = await s.read(); b !== null; b = await s.read()) parts.push(...b);
  return new Uint8Array(parts);
}

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("sniffing: every byte read while sniffing reaches the target, unchanged and in order", async () => {
  const hello = inRecords(clientHelloMessage({ sni: "split.test" }), [50]);
  const after = enc("application data");
  const client = new FedStream();
  client.push(hello.subarray(0, 3));
  client.push(hello.subarray(3, 60));
  client.push(hello.subarray(60));
  client.push(after);
  client.push(null);
  const s = await sniffClient(client);
  assertEquals(s.found, { kind: "found", protocol: "tls", domain: "split.test" });
  assertEquals(client.reads, 3); // no further read than needed to decide
  assertEquals(await readAll(s.stream), new Uint8Array([...hello, ...after]));
});

Deno.test("sniffing: a client that says nothing is not waited for past the bound", async () => {
  const client = new FedStream();
  const s = await sniffClient(client, 20);
  assertEquals(s.found, null);
  // The read left pending while sniffing is the relay's first: nothing is lost.
  client.push(enc("late"));
  client.push(null);
  assertEquals(new TextDecoder().decode(await readAll(s.stream)), "late");
});

Deno.test("sniffing: half a head, then silence: routing goes on with what there is", async () => {
  const client = new FedStream();
  client.push(enc("GET / HTTP/1.1\r\nHo"));
  const s = await sniffClient(client, 20);
  assertEquals(s.found, null);
  client.push(enc("st: x.test\r\n\r\n"));
  client.push(null);
  assertEquals(
    new TextDecoder().decode(await readAll(s.stream)),
    "GET / HTTP/1.1\r\nHost: x.test\r\n\r\n",
  );
});

Deno.test("sniffing: end of stream and errors during sniffing are the relay's to see", async () => {
  const ended = new FedStream();
  ended.push(null);
  const e = await sniffClient(ended);
  assertEquals([e.found, await e.stream.read()], [null, null]);
  const failing = new FedStream();
  failing.push(enc("GE"));
  failing.push(new Error("reset"));
  const f = await sniffClient(failing);
  assertEquals(new TextDecoder().decode((await f.stream.read())!), "GE");
  const err = await f.stream.read().then(() => null, (x) => x as Error);
  assertEquals(err?.message, "reset");
});

Deno.test("sniffing: at most maxBytes are read; read(max) is honoured after sniffing", async () => {
  const client = new FedStream();
  client.push(enc("GET / HTTP/1.1\r\n"));
  client.push(enc("X-Long: " + "a".repeat(100) + "\r\n"));
  client.push(enc("Host: h.test\r\n\r\n"));
  client.push(null);
  const s = await sniffClient(client, 200, 30);
  assertEquals(s.found, null);
  assertEquals(client.reads, 2);
  const first = await s.stream.read(4);
  assertEquals(new TextDecoder().decode(first!), "GET ");
  assertEquals((await readAll(s.stream)).length, 16 + 110 + 16 - 4);
});

Deno.test("sniffing: destOverride names the protocols whose name replaces the address", () => {
  const session: Session = { id: 1, inboundTag: "in", source: { address: "127.0.0.1", port: 9 } };
  const dest = { network: "tcp" as const, address: "192.0.2.1", port: 8443 };
  const tls = { kind: "found" as const, protocol: "tls" as const, domain: "t.test" };
  const both = { enabled: true, destOverride: ["http" as const, "tls" as const] };
  const r = applySniffed(both, session, dest, tls);
  assertEquals(r.destination, { network: "tcp", address: "t.test", port: 8443 });
  assertEquals([r.session.protocol, r.overridden], ["tls", true]);
  // 4.34 overrides a domain destination too.
  const named = applySniffed(both, session, { ...dest, address: "asked.test" }, tls);
  assertEquals(named.destination.address, "t.test");
  // Not named in destOverride: the protocol is known (for rules), the address kept.
  const httpOnly = applySniffed({ enabled: true, destOverride: ["http"] }, session, dest, tls);
  assertEquals([httpOnly.destination.address, httpOnly.session.protocol], ["192.0.2.1", "tls"]);
  const bt = { kind: "found" as const, protocol: "bittorrent" as const, domain: null };
  assertEquals(applySniffed(both, session, dest, bt).destination, dest);
  assertEquals(applySniffed(both, session, dest, null).session, session);
});

// ---- end to end ----

function peerMissing(cmd: string): string | null {
  try {
    new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return null;
  } catch {
    const why = `${cmd} is not installed`;
    if (Deno.env.get("CI") === "true") throw new Error(`${why} (required under CI)`);
    console.log(`skipping the ${cmd} tests of sniffing: ${why}`);
    return why;
  }
}

const noCurl = peerMissing("curl");
const noOpenssl = peerMissing("openssl");

const BLOCK_DEFAULT = [
  { tag: "block", protocol: "blackhole" },
  { tag: "direct", protocol: "freedom", settings: { domainStrategy: "UseIP" } },
];

Deno.test({
  name: "sniffing e2e: curl over SOCKS to an IP, routed by the Host only sniffing sees",
  ignore: noCurl !== null,
  fn: async () => {
    await using origin = new HttpOrigin("origin");
    const config = (sniffing: boolean) => ({
      inbounds: [{
        tag: "socks-in",
        listen: "127.0.0.1",
        port: 0,
        protocol: "socks",
        sniffing: { enabled: sniffing, destOverride: ["http"] },
      }],
      outbounds: BLOCK_DEFAULT,
      // The sniffed name is the destination now: the built-in DNS says where it is.
      dns: { hosts: { "sniffed.test": "127.0.0.1" } },
      routing: { rules: [{ type: "field", domain: ["full:sniffed.test"], outboundTag: "direct" }] },
    });
    // socks5:// (not socks5h): curl resolves the name itself and asks the proxy for an IP.
    const args = (port: number) => [
      "--socks5",
      `127.0.0.1:${port}`,
      "--resolve",
      `sniffed.test:${origin.port}:127.0.0.1`,
      `http://sniffed.test:${origin.port}/page`,
    ];
    {
      await using on = await RunningInstance.start(config(true));
      const r = await curl(args(on.port()));
      assertEquals([r.code, r.status, r.body], [0, "200", "origin /page"]);
    }
    {
      // Without sniffing the rule cannot match: the default outbound blocks.
      await using off = await RunningInstance.start(config(false));
      const r = await curl(args(off.port()));
      assert(r.code !== 0, `curl got through: ${JSON.stringify(r)}`);
    }
  },
});

Deno.test({
  name: "sniffing e2e: a protocol rule sees HTTP without overriding the address",
  ignore: noCurl !== null,
  fn: async () => {
    await using origin = new HttpOrigin("plain");
    await using inst = await RunningInstance.start({
      inbounds: [{
        listen: "127.0.0.1",
        port: 0,
        protocol: "socks",
        sniffing: { enabled: true },
      }],
      outbounds: [{ tag: "block", protocol: "blackhole" }, { tag: "direct", protocol: "freedom" }],
      routing: { rules: [{ type: "field", protocol: ["http"], outboundTag: "direct" }] },
    });
    const r = await curl([
      "--socks5",
      `127.0.0.1:${inst.port()}`,
      "-H",
      "Host: nowhere.invalid",
      `http://127.0.0.1:${origin.port}/p`,
    ]);
    assertEquals([r.code, r.body], [0, "plain /p"]);
  },
});

async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-addext",
      `subjectAltName=DNS:${name}`,
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return {
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
    key: await Deno.readTextFile(`${dir}/key.pem`),
  };
}

Deno.test({
  name: "sniffing e2e: TLS SNI through a dokodemo-door, routed by a rule on the domain",
  ignore: noCurl !== null || noOpenssl !== null,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const { cert, key } = await selfSigned(dir, "tls.test");
      await using origin = Deno.serve(
        { hostname: "127.0.0.1", port: 0, cert, key, onListen() {} },
        (req) => new Response(`tls origin ${new URL(req.url).pathname}`),
      );
      const config = (destOverride: string[]) => ({
        inbounds: [{
          listen: "127.0.0.1",
          port: 0,
          protocol: "dokodemo-door",
          settings: { address: "127.0.0.1", port: origin.addr.port, network: "tcp" },
          sniffing: { enabled: true, destOverride },
        }],
        outbounds: BLOCK_DEFAULT,
        dns: { hosts: { "tls.test": "127.0.0.1" } },
        routing: { rules: [{ type: "field", domain: ["full:tls.test"], outboundTag: "direct" }] },
      });
      const get = (port: number) =>
        curl([
          "-k",
          "--resolve",
          `tls.test:${port}:127.0.0.1`,
          `https://tls.test:${port}/secure`,
        ]);
      {
        await using on = await RunningInstance.start(config(["tls"]));
        const r = await get(on.port());
        assertEquals([r.code, r.status, r.body], [0, "200", "tls origin /secure"]);
      }
      {
        // Sniffed but not overridden: the address stays 127.0.0.1, the domain rule cannot match.
        await using off = await RunningInstance.start(config(["http"]));
        const r = await get(off.port());
        assert(r.code !== 0, `curl got through: ${JSON.stringify(r)}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("sniffing e2e: a rule on protocol bittorrent blocks the handshake, not other bytes", async () => {
  await using echo = new EchoServer();
  await using inst = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: echo.port, network: "tcp" },
      sniffing: { enabled: true },
    }],
    outbounds: [{ tag: "direct", protocol: "freedom" }, { tag: "block", protocol: "blackhole" }],
    routing: { rules: [{ type: "field", protocol: ["bittorrent"], outboundTag: "block" }] },
  });
  const exchange = async (data: Uint8Array): Promise<Uint8Array> => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: inst.port() });
    try {
      await conn.write(data);
      await conn.closeWrite();
      const out: number[] = [];
      const buf = new Uint8Array(4096);
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        out.push(...buf.subarray(0, n));
      }
      return new Uint8Array(out);
    } catch {
      return new Uint8Array(0); // reset by the blackhole
    } finally {
      conn.close();
    }
  };
  const bt = Uint8Array.of(19, ...enc("BitTorrent protocol"), ...new Uint8Array(48).fill(1));
  assertEquals((await exchange(bt)).length, 0);
  const other = enc("SSH-2.0-OpenSSH_9.6\r\n");
  assertEquals(await exchange(other), other);
});

Deno.test("sniffing e2e: a server that speaks first is reached though the client is silent", async () => {
  await using greeter = new GreetingServer("220 ready\r\n");
  await using inst = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: greeter.port, network: "tcp" },
      sniffing: { enabled: true, destOverride: ["http", "tls"] },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: inst.port() });
  try {
    // Nothing is written: sniffing gives up after its bound and the greeting comes through.
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    assertEquals(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "220 ready\r\n");
  } finally {
    conn.close();
  }
});

Deno.test({
  name: "routing e2e: the http inbound's plain requests carry protocol http and attrs",
  ignore: noCurl !== null,
  fn: async () => {
    await using origin = new HttpOrigin("o");
    await using inst = await RunningInstance.start({
      inbounds: [{ listen: "127.0.0.1", port: 0, protocol: "http" }],
      outbounds: [{ tag: "block", protocol: "blackhole" }, { tag: "direct", protocol: "freedom" }],
      routing: {
        rules: [
          { type: "field", attrs: "attrs[':path'].startswith('/private')", outboundTag: "block" },
          {
            type: "field",
            attrs: "attrs[':method'] == 'GET' and attrs['x-pass'] == 'yes'",
            outboundTag: "direct",
          },
          { type: "field", protocol: ["http/1"], outboundTag: "direct" },
        ],
      },
    });
    const proxy = ["-x", `http://127.0.0.1:${inst.port()}`];
    const url = (p: string) => `http://127.0.0.1:${origin.port}${p}`;
    const ok = await curl([...proxy, url("/public")]);
    assertEquals([ok.status, ok.body], ["200", "o /public"]);
    const blocked = await curl([...proxy, "-H", "X-Pass: yes", url("/private/x")]);
    assert(blocked.status !== "200", JSON.stringify(blocked));
    const passed = await curl([...proxy, "-H", "X-Pass: yes", url("/p")]);
    assertEquals(passed.body, "o /p");
    // CONNECT is a tunnel, not a request: no attrs, no protocol unless sniffed; the default blocks.
    const tunnel = await curl(["-p", ...proxy, url("/public")]);
    assert(tunnel.code !== 0 || tunnel.status !== "200", JSON.stringify(tunnel));
  },
});

for (const mux of [false, true]) {
  Deno.test({
    name: `sniffing e2e: a VMess inbound sniffs the tunnelled stream${mux ? " (Mux.Cool)" : ""}`,
    ignore: noCurl !== null,
    fn: async () => {
      await using origin = new HttpOrigin("via vmess");
      const id = "5f0f8c1e-8a2b-4a55-9c3d-2b7e1f0a9d61";
      await using server = await RunningInstance.start({
        inbounds: [{
          tag: "vmess-in",
          listen: "127.0.0.1",
          port: 0,
          protocol: "vmess",
          settings: { clients: [{ id }] },
          sniffing: { enabled: true, destOverride: ["http"] },
        }],
        outbounds: BLOCK_DEFAULT,
        dns: { hosts: { "vm.test": "127.0.0.1" } },
        routing: { rules: [{ type: "field", domain: ["full:vm.test"], outboundTag: "direct" }] },
      });
      await using client = await RunningInstance.start({
        inbounds: [{ listen: "127.0.0.1", port: 0, protocol: "socks" }],
        outbounds: [{
          protocol: "vmess",
          settings: {
            vnext: [{ address: "127.0.0.1", port: server.portOf("vmess-in"), users: [{ id }] }],
          },
          mux: { enabled: mux },
        }],
      });
      const r = await curl([
        "--socks5",
        `127.0.0.1:${client.port()}`,
        "-H",
        "Host: vm.test",
        `http://127.0.0.1:${origin.port}/v`,
      ]);
      assertEquals([r.code, r.body], [0, "via vmess /v"]);
    },
  });
}
