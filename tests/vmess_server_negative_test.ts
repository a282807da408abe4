/**
 * Bad input against our VMess server: each failure gets no byte back and no crash, the server
 * keeps serving, and what it consumes before closing does not depend on where parsing failed.
 */
import { assert, assertEquals } from "./assert.ts";
import { concatBytes, randomBytes } from "../lib/core/bytes.ts";
import { fnv1a32 } from "../lib/crypto/mod.ts";
import { ClientAccount, cmdKey, parseUuid, sealAeadRequest, uuidBytes } from "../lib/vmess/mod.ts";
import { encodeRequestHeader } from "../lib/vmess/request_header.ts";
import type { VmessInbound } from "../lib/inbound/vmess.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { digest, EchoServer, patternBytes, sendAndReceive } from "./helpers/net.ts";
import { requestTo } from "./helpers/vmess.ts";

const ID = parseUuid("b831381d-6324-4d53-ad4f-8cda48b30811")!;
const KEY = cmdKey(uuidBytes(ID));

const header = requestTo;

/** An AEAD request whose plaintext was patched at `offset` (FNV recomputed, so only the field is wrong). */
function patched(echoPort: number, offset: number, value: number, now: number): Uint8Array {
  const plain = encodeRequestHeader(header(echoPort), 0);
  plain[offset] = value;
  new DataView(plain.buffer).setUint32(
    plain.length - 4,
    fnv1a32(plain.subarray(0, plain.length - 4)),
  );
  return sealAeadRequest(KEY, plain, now);
}

async function startServer(lines: string[], extra: Record<string, unknown> = {}) {
  return await RunningInstance.start({
    inbounds: [{
      tag: "vmess-in",
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients: [{ id: ID }], ...extra },
    }],
    outbounds: [{ protocol: "freedom" }],
    policy: { levels: { "0": { handshake: 2 } } },
  }, new Logger("info", memorySink(lines), null));
}

/** Sends `bytes`, then `tail` more random bytes, half-closes and reads everything back. */
async function probe(port: number, bytes: Uint8Array, tail = 0): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const got = await sendAndReceive(conn, concatBytes(bytes, randomBytes(tail))).catch(() =>
      new Uint8Array(0)
    );
    return got.length;
  } finally {
    conn.close();
  }
}

/** A full denoray client through dokodemo-door to the server under test: bytes echo back intact. */
async function validEcho(serverPort: number, echoPort: number): Promise<void> {
  await using client = await RunningInstance.start({
    inbounds: [{
      listen: "127.0.0.1",
      port: 0,
      protocol: "dokodemo-door",
      settings: { address: "127.0.0.1", port: echoPort },
    }],
    outbounds: [{
      protocol: "vmess",
      settings: { vnext: [{ address: "127.0.0.1", port: serverPort, users: [{ id: ID }] }] },
    }],
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
  try {
    const data = patternBytes(100_000, 3);
    assertEquals(digest(await sendAndReceive(conn, data)), digest(data));
  } finally {
    conn.close();
  }
}

Deno.test("vmess server: every failure class gets no byte back and drains the same amount", async () => {
  await using echo = new EchoServer();
  const lines: string[] = [];
  await using inst = await startServer(lines);
  const port = inst.port();
  const now = Math.floor(Date.now() / 1000);
  const good = ClientAccount.of(ID, 0);
  const other = ClientAccount.of(parseUuid("00000000-0000-4000-8000-000000000001")!, 0);
  const replayed = good.encodeRequest(header(echo.port), now);
  // Served: closed between chunks, the body ends there, so the (empty) echo's response header
  // and end of body come back, as from V2Ray.
  assert(await probe(port, replayed) > 0, "first use is served");
  const flips = [0, 15, 16, 33, 34, 41, 42, 60, replayed.length - 1].map((i) => {
    const b = replayed.slice();
    b[i] ^= 0x80;
    return [`flipped byte ${i}`, b] as const;
  });
  const classes: (readonly [string, Uint8Array])[] = [
    ["wrong uuid", other.encodeRequest(header(echo.port), now)],
    // Well outside ±120 s: the server's clock moves on while the probes run (the exact bounds
    // are tested with a fixed clock in vmess_header_test.ts).
    ["time -150 s", good.encodeRequest(header(echo.port), now - 150)],
    ["time +150 s", good.encodeRequest(header(echo.port), now + 150)],
    ["replayed header", replayed],
    ["option P without M", patched(echo.port, 34, 0x09, now)],
    ["unknown security 7", patched(echo.port, 35, 0x07, now)],
    ["unknown command 4", patched(echo.port, 37, 0x04, now)],
    ["unknown address type 5", patched(echo.port, 40, 0x05, now)],
    ["random bytes", randomBytes(200)],
    ...flips,
  ];
  const before = lines.length;
  // 4 KiB of trailing bytes is more than any drain size (≤ 3265 + 54 + 63).
  for (const [name, bytes] of classes) assertEquals(await probe(port, bytes, 4096), 0, name);
  // Only failure lines count: the served first probe may log its own close in between.
  const consumed = lines.slice(before).filter((l) => /\(\d+ bytes read\)/.test(l))
    .map((l) => Number(/\((\d+) bytes read\)/.exec(l)![1]));
  assertEquals(consumed.length, classes.length, lines.slice(before).join("\n"));
  const [min, max] = (inst.instance.inbound("vmess-in") as VmessInbound).server.drainRange();
  for (const [i, n] of consumed.entries()) {
    assert(n >= min && n <= max, `${classes[i][0]}: consumed ${n}, drain range ${min}..${max}`);
  }
  // And the server still serves a valid client end to end.
  await validEcho(port, echo.port);
});

Deno.test("vmess server: truncated headers at every length close cleanly with no byte back", async () => {
  await using echo = new EchoServer();
  const lines: string[] = [];
  await using inst = await startServer(lines);
  const wire = ClientAccount.of(ID, 0).encodeRequest(
    header(echo.port),
    Math.floor(Date.now() / 1000),
  );
  const results = await Promise.all(
    Array.from({ length: wire.length }, (_, n) => probe(inst.port(), wire.slice(0, n))),
  );
  assertEquals(results.filter((n) => n !== 0).length, 0);
});

Deno.test("vmess server: a short probe that stays open is held until the handshake deadline", async () => {
  const lines: string[] = [];
  await using inst = await startServer(lines);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: inst.port() });
  try {
    for (const bytes of [randomBytes(10), randomBytes(100)]) await conn.write(bytes);
    // No FIN: only the server's deadline (2 s here) ends this read.
    assertEquals(await conn.read(new Uint8Array(8)).catch(() => null), null);
  } finally {
    conn.close();
  }
  assert(
    lines.some((l) => l.includes("rejected: bad-auth") || l.includes("rejected: timeout")),
    lines.join("\n"),
  );
});

Deno.test("vmess server: tampered chunk and disableInsecureEncryption close with no data back", async () => {
  await using echo = new EchoServer();
  const lines: string[] = [];
  await using inst = await startServer(lines, { disableInsecureEncryption: true });
  const now = Math.floor(Date.now() / 1000);
  const account = ClientAccount.of(ID, 0);
  const none = account.encodeRequest(header(echo.port, { security: "none", options: 0x05 }), now);
  assertEquals(await probe(inst.port(), none, 100), 0, "security none refused");
  // A GCM request whose first body chunk has a flipped byte: no echo of it comes back.
  const chunkHeader = header(echo.port, { options: 0x01 });
  const bogusChunk = new Uint8Array([0, 40, ...randomBytes(40)]);
  const got = await probe(
    inst.port(),
    concatBytes(account.encodeRequest(chunkHeader, now), bogusChunk),
  );
  assertEquals(got, 0, "tampered chunk");
  assert(lines.some((l) => l.includes("insecure encryption none")), lines.join("\n"));
  assert(lines.some((l) => l.includes("failed authentication")), lines.join("\n"));
  // And a secure client is still served end to end.
  await validEcho(inst.port(), echo.port);
});
