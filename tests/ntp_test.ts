/**
 * The clock: the SNTP codec (known answers, properties), the client against a local SNTP server,
 * the `ntp` config section, and VMess with clocks shifted in the test: NTP corrects a server's
 * and a client's clock, and a server names a client whose clock is off.
 */
import fc from "fast-check";
// fast-check follows FUZZ_RUNS / FUZZ_SEED (deno task fuzz).
import "./helpers/fuzz.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "./assert.ts";
import { SntpServer } from "./helpers/sntp_server.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { EchoServer, sendAndReceive } from "./helpers/net.ts";
import {
  decodeSntpAnswer,
  encodeSntpRequest,
  NTP_PACKET_SIZE,
  ntpTimestampToUnixMs,
  sntpSample,
  unixMsToNtpTimestamp,
} from "../lib/ntp/mod.ts";
import { querySntp, type SntpResult } from "../lib/net/mod.ts";
import { DenorayError, ProtocolError } from "../lib/core/errors.ts";
import { formatIssue, loadConfigObject, parseGoDuration } from "../lib/config/mod.ts";
import { OffsetClock } from "../lib/core/clock.ts";
import { NtpSync } from "../lib/engine/ntp_sync.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";
import { checkUdp } from "../lib/app/udp_support.ts";
import { ClientAccount, parseUuid, sealAuthId, VmessServer } from "../lib/vmess/mod.ts";
import { randomBytes } from "../lib/core/bytes.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";
const HOUR = 3_600_000;

// ---- codec ----

Deno.test("sntp codec: timestamps: the Unix epoch, half a second, and era 1 after 2036", () => {
  const ts = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  assertEquals(ntpTimestampToUnixMs(ts("83aa7e8000000000")), 0);
  assertEquals(ntpTimestampToUnixMs(ts("83aa7e8180000000")), 1500);
  // Seconds with the top bit clear are era 1: 0 is 2036-02-07T06:28:16Z.
  assertEquals(
    new Date(ntpTimestampToUnixMs(ts("0000000000000000"))).toISOString(),
    "2036-02-07T06:28:16.000Z",
  );
  assertEquals([...unixMsToNtpTimestamp(1500)], [0x83, 0xaa, 0x7e, 0x81, 0x80, 0, 0, 0]);
});

Deno.test("sntp codec: timestamps round-trip to the millisecond from 1970 to 2100", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
      const back = ntpTimestampToUnixMs(unixMsToNtpTimestamp(ms));
      return Math.abs(back - ms) < 1;
    }),
  );
});

Deno.test("sntp codec: the request is version 4, client mode, with the nonce as transmit time", () => {
  const nonce = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const r = encodeSntpRequest(nonce);
  assertEquals(r.length, NTP_PACKET_SIZE);
  assertEquals(r[0], 0x23);
  assertEquals([...r.subarray(40)], [...nonce]);
  assertEquals(r.subarray(1, 40).every((b) => b === 0), true, "nothing else about us is sent");
  assertThrows(() => encodeSntpRequest(new Uint8Array(4)), RangeError);
});

/** An answer to `request` with the given fields (a valid one by default). */
function answer(request: Uint8Array, patch: (p: Uint8Array) => void = () => {}): Uint8Array {
  const p = new Uint8Array(NTP_PACKET_SIZE);
  p[0] = 0x24; // LI 0, VN 4, server
  p[1] = 1;
  p.set(request.subarray(40, 48), 24);
  p.set(unixMsToNtpTimestamp(1_000_000), 32);
  p.set(unixMsToNtpTimestamp(1_000_500), 40);
  patch(p);
  return p;
}

Deno.test("sntp codec: an answer is checked against its request", () => {
  const req = encodeSntpRequest(Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 9]));
  assertEquals(decodeSntpAnswer(answer(req), req), {
    stratum: 1,
    receiveMs: 1_000_000,
    transmitMs: 1_000_500,
  });
  const bad: [string, string, (p: Uint8Array) => void][] = [
    ["bad-ntp", "NTP mode 3", (p) => p[0] = 0x23],
    ["bad-ntp", "NTP version 0", (p) => p[0] = 0x04],
    ["bad-ntp", "not an answer to our request", (p) => p[30] ^= 1],
    ["ntp-refused", 'kiss-o\'-death "RATE"', (p) => {
      p[1] = 0;
      p.set(new TextEncoder().encode("RATE"), 12);
    }],
    ["ntp-refused", "not synchronised", (p) => p[0] = 0xe4],
    ["bad-ntp", "NTP stratum 16", (p) => p[1] = 16],
    ["bad-ntp", "no transmit time", (p) => p.fill(0, 40)],
  ];
  for (const [code, text, patch] of bad) {
    const e = assertThrows(() => decodeSntpAnswer(answer(req, patch), req), ProtocolError);
    assertEquals(e.code, code, text);
    assertStringIncludes(e.message, text);
  }
  const e = assertThrows(() => decodeSntpAnswer(answer(req).subarray(0, 47), req), ProtocolError);
  assertEquals(e.code, "bad-ntp");
});

Deno.test("sntp codec: any datagram is an answer or a ProtocolError, never another throw", () => {
  const req = encodeSntpRequest(new Uint8Array(8));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, echo) => {
      // Half the cases echo the nonce, so that the checks after it run too.
      if (echo && bytes.length >= 32) bytes.set(req.subarray(40, 48), 24);
      try {
        decodeSntpAnswer(bytes, req);
      } catch (e) {
        return e instanceof ProtocolError;
      }
      return true;
    }),
  );
});

Deno.test("sntp codec: offset and delay, whatever the offset and the path's asymmetry-free delay", () => {
  // Server 10 s ahead, 10 ms each way, 1 ms inside the server.
  assertEquals(sntpSample({ stratum: 1, receiveMs: 10_010, transmitMs: 10_011 }, 0, 21), {
    offsetMs: 10_000,
    delayMs: 20,
  });
  fc.assert(
    fc.property(
      fc.integer({ min: -HOUR, max: HOUR }),
      fc.integer({ min: 0, max: 5_000 }),
      fc.integer({ min: 0, max: 100 }),
      fc.integer({ min: 0, max: 2_000_000_000_000 }),
      (offset, oneWay, inside, t1) => {
        const t2 = t1 + oneWay + offset, t3 = t2 + inside, t4 = t3 - offset + oneWay;
        const s = sntpSample({ stratum: 2, receiveMs: t2, transmitMs: t3 }, t1, t4);
        return s.offsetMs === offset && s.delayMs === 2 * oneWay;
      },
    ),
  );
});

// ---- client ----

Deno.test("sntp client: measures a server 5 minutes ahead; kiss-o'-death and silence fail", async () => {
  {
    await using server = new SntpServer({ clock: () => Date.now() + 300_000 });
    const r = await querySntp("127.0.0.1", server.port, {
      clock: Date.now,
      timeoutMs: 2_000,
      tries: 3,
    });
    // Loopback: the measured offset is the shift, give or take a round trip.
    assert(Math.abs(r.offsetMs - 300_000) < 1_000, `offset ${r.offsetMs}`);
    assertEquals([r.address, r.stratum], ["127.0.0.1", 2]);
  }
  {
    await using server = new SntpServer({ kiss: "RATE" });
    const e = await assertRejects(
      () => querySntp("127.0.0.1", server.port, { clock: Date.now, timeoutMs: 2_000, tries: 3 }),
      ProtocolError,
    );
    assertEquals(e.code, "ntp-refused");
  }
  {
    await using server = new SntpServer({ silent: true });
    const e = await assertRejects(
      () => querySntp("127.0.0.1", server.port, { clock: Date.now, timeoutMs: 50, tries: 2 }),
      DenorayError,
    );
    assertEquals(e.code, "timeout");
    assertEquals(server.requests, 2, "one request per try");
  }
});

// ---- config ----

Deno.test("ntp config: sing-box's names and defaults; errors with their paths", () => {
  const ok = loadConfigObject({ ntp: { enabled: true, server: "time.example" } });
  assertEquals(ok.config.ntp, {
    enabled: true,
    server: "time.example",
    server_port: 123,
    interval: 30 * 60_000,
  });
  const full = loadConfigObject({
    ntp: { enabled: true, server: "10.0.0.1", server_port: 1123, interval: "1h30m", detour: "x" },
  });
  assertEquals([full.config.ntp?.server_port, full.config.ntp?.interval], [1123, 90 * 60_000]);
  assertEquals(full.warnings.map(formatIssue), ["ntp.detour: unknown key, ignored"]);
  for (
    const [ntp, message] of [
      [{ enabled: true }, "ntp.server: is required when enabled"],
      [{ enabled: true, server: "x", interval: "30" }, 'ntp.interval: "30" is not a duration'],
      [{ enabled: true, server: "x", interval: "500ms" }, 'ntp.interval: "500ms" is shorter'],
      [{ enabled: true, server: "x", server_port: 0 }, "ntp.server_port: must be at least 1"],
      [{ write_to_system: true }, "ntp.write_to_system: true is not supported"],
    ] as const
  ) {
    assertThrows(() => loadConfigObject({ ntp }), Error, message);
  }
  assertEquals(
    ["30m", "1h30m", "1.5s", "90s", "250ms", "0", "", "1d", "5"].map(parseGoDuration),
    [1_800_000, 5_400_000, 1_500, 90_000, 250, 0, null, null, null],
  );
  // NTP needs UDP sockets too.
  assertThrows(
    () => checkUdp(loadConfigObject({ ntp: { enabled: true, server: "x" } }).config, false),
    DenorayError,
    'the "ntp" section (SNTP) needs UDP sockets',
  );
});

// ---- sync ----

Deno.test("ntp sync: every sync logs its offset, a warning above 60 s; a failure keeps the offset", async () => {
  const lines: string[] = [];
  const clock = new OffsetClock(() => 1_000_000);
  const offsets = [1_500, -90_000];
  const sync = new NtpSync(
    { enabled: true, server: "time.test", server_port: 123, interval: 60_000 },
    clock,
    () => 1_000_000,
    new Logger("debug", memorySink(lines), null),
    (_server, _port, _opts) => {
      const offsetMs = offsets.shift();
      return offsetMs === undefined
        ? Promise.reject(new DenorayError("timeout", "no answer"))
        : Promise.resolve({ offsetMs, delayMs: 3, address: "192.0.2.1", stratum: 2 });
    },
  );
  assertEquals(await sync.sync(), true);
  assertEquals(clock.now(), 1_001_500);
  assertEquals(await sync.sync(), true);
  assertEquals(clock.now(), 910_000);
  assertEquals(await sync.sync(), false);
  assertEquals(clock.offsetMs, -90_000, "a failed sync keeps the last offset");
  const text = lines.map((l) => l.replace(/^\S+ \S+ /, ""));
  assertEquals(text, [
    "[Info] ntp: clock offset +1.500 s from time.test:123 (192.0.2.1, stratum 2, delay 3 ms)",
    "[Warning] ntp: clock offset -90.000 s from time.test:123 (192.0.2.1, stratum 2, delay 3 ms): " +
    "the system clock is off by more than 60 s; VMess uses the corrected time, but fix the system " +
    "clock (systemd-timesyncd or chrony)",
    "[Warning] ntp: time.test:123: no answer; the clock offset stays -90.000 s",
  ]);
});

Deno.test("ntp sync: an answer that lands after stop() leaves the clock alone", async () => {
  const clock = new OffsetClock(() => 1_000_000);
  const answer = Promise.withResolvers<SntpResult>();
  const sync = new NtpSync(
    { enabled: true, server: "time.test", server_port: 123, interval: 60_000 },
    clock,
    () => 1_000_000,
    new Logger("debug", memorySink([]), null),
    () => answer.promise,
  );
  const pending = sync.sync();
  sync.stop(); // a reload replaced the ntp section while the query was out
  answer.resolve({ offsetMs: 5_000, delayMs: 3, address: "192.0.2.1", stratum: 2 });
  assertEquals(await pending, false);
  assertEquals(clock.offsetMs, 0);
});

// ---- VMess with shifted clocks ----

Deno.test("clock: the header reader tells a user's late header from a forged AuthID", () => {
  const now = 1_800_000_000;
  const user = { id: parseUuid(ID)!, alterId: 0, level: 0, email: "late@test" };
  const server = new VmessServer([user], now);
  const request = (t: number) =>
    ClientAccount.of(user.id, 0).encodeRequest({
      bodyKey: randomBytes(16),
      bodyIv: randomBytes(16),
      responseAuth: 0,
      options: 0x05,
      security: "aes-128-gcm",
      command: "tcp",
      destination: { network: "tcp", address: "127.0.0.1", port: 80 },
    }, t);
  for (const [shift, code] of [[120, "done"], [-120, "done"], [121, "clock"], [-3600, "clock"]]) {
    const reader = server.headerReader(now);
    const step = reader.push(request(now + Number(shift)));
    assertEquals(step.kind === "failed" ? step.code : step.kind, code, `${shift} s`);
    assertEquals(
      reader.clockSkew,
      code === "clock" ? { user, seconds: Number(shift) } : null,
      `${shift} s`,
    );
  }
  // An AuthID that opens (its CRC holds) but a header length that does not: a forgery, not a
  // user, so a plain bad-auth; and it is told only once 42 bytes are in.
  const keys = server.users.users[0];
  const forged = server.headerReader(now);
  assertEquals(forged.push(sealAuthId(keys.authIdKey, now + 500)).kind, "need-more");
  assertEquals(forged.push(randomBytes(26)), {
    kind: "failed",
    code: "bad-auth",
    message: "no user matches",
  });
  assertEquals(forged.clockSkew, null);
});

const vmessServer = (extra: Record<string, unknown> = {}) => ({
  // A refused client's connection is drained until this handshake deadline (1 s).
  policy: { levels: { "0": { handshake: 1 } } },
  inbounds: [{
    tag: "vmess-in",
    listen: "127.0.0.1",
    port: 0,
    protocol: "vmess",
    settings: { clients: [{ id: ID, email: "late@test" }] },
  }],
  outbounds: [{ protocol: "freedom" }],
  ...extra,
});

const vmessClient = (
  serverPort: number,
  echoPort: number,
  extra: Record<string, unknown> = {},
) => ({
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
  ...extra,
});

/** Sends `text` through the client's dokodemo-door; returns what came back ("" if refused). */
async function through(client: RunningInstance, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port() });
  try {
    const got = await sendAndReceive(conn, new TextEncoder().encode(text)).catch(() =>
      new Uint8Array()
    );
    return new TextDecoder().decode(got);
  } finally {
    conn.close();
  }
}

Deno.test("clock: a client 5 minutes ahead is refused, and the server says why, once a minute", async () => {
  await using echo = new EchoServer();
  const lines: string[] = [];
  await using server = await RunningInstance.start(
    vmessServer(),
    new Logger("info", memorySink(lines), null),
  );
  await using client = await RunningInstance.start(
    vmessClient(server.port(), echo.port),
    undefined,
    { clock: () => Date.now() + 300_000 },
  );
  assertEquals(await through(client, "one"), "");
  assertEquals(await through(client, "two"), "");
  const clockLines = lines.filter((l) => l.includes("client clock off"));
  assertEquals(clockLines.length, 2, lines.join("\n"));
  // Its own second may turn between header and check: +299 or +300 … +301.
  const re =
    /\[(Warning|Info)\] vmess vmess-in: 127\.0\.0\.1:\d+ rejected: client clock off by \+(\d+) s \(user late@test\) \(\d+ bytes read\)$/;
  const parsed = clockLines.map((l) => re.exec(l));
  assert(parsed.every((m) => m && Math.abs(Number(m[2]) - 300) <= 1), clockLines.join("\n"));
  assertEquals(parsed.map((m) => m![1]), ["Warning", "Info"], "one warning per user per minute");
});

Deno.test("clock: NTP corrects a server whose system clock is 5 minutes behind", async () => {
  await using echo = new EchoServer();
  await using sntp = new SntpServer();
  const lines: string[] = [];
  await using server = await RunningInstance.start(
    vmessServer({ ntp: { enabled: true, server: "127.0.0.1", server_port: sntp.port } }),
    new Logger("info", memorySink(lines), null),
    { clock: () => Date.now() - 300_000 },
  );
  const offset = server.instance.clockOffsetMs;
  assert(Math.abs(offset - 300_000) < 1_000, `offset ${offset}`);
  assert(
    lines.some((l) =>
      /\[Warning\] ntp: clock offset \+(299|300)\.\d{3} s from 127\.0\.0\.1:/.test(l)
    ),
    lines.join("\n"),
  );
  await using client = await RunningInstance.start(vmessClient(server.port(), echo.port));
  assertEquals(await through(client, "on time"), "on time");
});

Deno.test("clock: NTP corrects a client whose system clock is 5 minutes ahead", async () => {
  await using echo = new EchoServer();
  await using sntp = new SntpServer();
  await using server = await RunningInstance.start(vmessServer());
  const lines: string[] = [];
  await using client = await RunningInstance.start(
    vmessClient(server.port(), echo.port, {
      ntp: { enabled: true, server: "127.0.0.1", server_port: sntp.port, interval: "1h" },
    }),
    new Logger("info", memorySink(lines), null),
    { clock: () => Date.now() + 300_000 },
  );
  assert(Math.abs(client.instance.clockOffsetMs + 300_000) < 1_000, lines.join("\n"));
  assertEquals(await through(client, "corrected"), "corrected");
  assertEquals(sntp.requests, 1, "one sync at start, the next after the interval");
});
