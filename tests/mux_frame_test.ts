import fc from "fast-check";
import { fuzzParams } from "./helpers/fuzz.ts";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { concatBytes, fromHex, toHex, utf8 } from "../lib/core/bytes.ts";
import type { Destination } from "../lib/core/destination.ts";
import { formatIP } from "../lib/core/destination.ts";
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  MUX_PROTOCOL_ERROR_CODES,
  MuxProtocolError,
  type MuxProtocolErrorCode,
  readMuxSetting,
  STATUSES,
} from "../lib/mux/mod.ts";

/** Deterministic PRNG (mulberry32) so a failing split can be replayed from its seed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Cuts `wire` at the given offsets. */
function cut(wire: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((x) => x % (wire.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, wire.length]) {
    out.push(wire.slice(prev, p));
    prev = p;
  }
  return out;
}

/**
 * Decodes `pieces` pushed one at a time, as a socket delivers them: each pushed array is
 * scribbled over once next() has returned null, so a decoder that kept a view would be caught.
 * Frame data is copied on arrival, as a consumer must.
 */
function decodeAll(pieces: Uint8Array[]): Frame[] {
  const d = new FrameDecoder();
  const out: Frame[] = [];
  for (const p of pieces) {
    d.push(p);
    for (let f = d.next(); f; f = d.next()) out.push(f.data ? { ...f, data: f.data.slice() } : f);
    p.fill(0xee);
  }
  d.end();
  return out;
}

function randomSplits(wire: Uint8Array, seed: number): Uint8Array[] {
  const rnd = prng(seed);
  const out: Uint8Array[] = [];
  for (let o = 0; o < wire.length;) {
    const n = rnd(4) === 0 ? 1 + rnd(wire.length) : 1 + rnd(7);
    out.push(wire.slice(o, o + n));
    o += n;
  }
  return out;
}

function codeOf(fn: () => unknown): MuxProtocolErrorCode {
  const e = assertThrows(fn, MuxProtocolError);
  return (e as MuxProtocolError).code;
}

const tcp = (address: string, port: number): Destination => ({ network: "tcp", address, port });

// Frames a v2ray 4.34 client sent (/work/shared/vmess-spec.md §6.2, captured live).
const CAPTURED = [
  {
    hex: "0014 0001 01 01 01 01bb 02 0b" + toHex(utf8("mux.example")) + "0012" +
      toHex(utf8("GET / HTTP/1.0\r\n\r\n")),
    frame: {
      id: 1,
      status: "new",
      error: false,
      destination: tcp("mux.example", 443),
      data: utf8("GET / HTTP/1.0\r\n\r\n"),
    },
  },
  {
    hex: "000c 0002 01 01 01 1f90 01 0a090807 0006" + toHex(utf8("second")),
    frame: {
      id: 2,
      status: "new",
      error: false,
      destination: tcp("10.9.8.7", 8080),
      data: utf8("second"),
    },
  },
  { hex: "0004 0002 03 00", frame: { id: 2, status: "end", error: false } },
  { hex: "0004 0001 03 00", frame: { id: 1, status: "end", error: false } },
] satisfies { hex: string; frame: Frame }[];

Deno.test("mux frame: 4.34's captured frames decode, and encode to the same bytes", () => {
  for (const { hex, frame } of CAPTURED) {
    assertEquals(toHex(encodeFrame(frame)), toHex(fromHex(hex)));
    assertEquals(decodeAll([fromHex(hex)]), [frame]);
  }
});

Deno.test("mux frame: every split of the captured stream gives the same frames", () => {
  const wire = concatBytes(...CAPTURED.map((c) => fromHex(c.hex)));
  const expected = CAPTURED.map((c) => c.frame);
  for (let i = 0; i <= wire.length; i++) {
    for (let j = i; j <= wire.length; j += 3) {
      assertEquals(decodeAll(cut(wire, [i, j])), expected, `cut at ${i}, ${j}`);
    }
  }
  for (let seed = 1; seed <= 200; seed++) {
    assertEquals(decodeAll(randomSplits(wire, seed)), expected, `seed ${seed}`);
  }
  assertEquals(decodeAll([...wire].map((b) => new Uint8Array([b]))), expected, "byte by byte");
});

Deno.test("mux frame: statuses, options, IPv6, a 255-byte domain and a 64 KiB data part", () => {
  const frames: Frame[] = [
    { id: 0xffff, status: "keep", error: false, data: new Uint8Array(0xffff).fill(7) },
    { id: 3, status: "end", error: true },
    { id: 0, status: "keepalive", error: false, data: utf8("ping") },
    { id: 9, status: "new", error: false, destination: tcp("2001:db8::1", 53) },
    { id: 10, status: "new", error: false, destination: tcp("a".repeat(255), 1) },
    {
      id: 11,
      status: "keep",
      error: false,
      destination: { network: "udp", address: "1.2.3.4", port: 53 },
      data: utf8("dgram"),
    },
  ];
  const wire = concatBytes(...frames.map(encodeFrame));
  for (let seed = 1; seed <= 20; seed++) {
    assertEquals(decodeAll(randomSplits(wire, seed)), frames);
  }
});

Deno.test("mux frame: what 4.34 tolerates is tolerated", () => {
  // Bytes after what the status needs are ignored (an Xray New appends an XUDP global id).
  assertEquals(decodeAll([fromHex("0014 0005 01 00 02 0035 01 01020304 0102030405060708")]), [
    {
      id: 5,
      status: "new",
      error: false,
      destination: { network: "udp", address: "1.2.3.4", port: 53 },
    },
  ]);
  // A Keep with extra metadata that is not Xray's UDP form: the extra is ignored.
  assertEquals(decodeAll([fromHex("0006 0005 02 00 01 ff")]), [
    { id: 5, status: "keep", error: false },
  ]);
  // Unknown option bits are ignored; Data on End and KeepAlive still frames the data part.
  assertEquals(decodeAll([fromHex("0004 0005 03 fe 0004 0005 04 01 0001 aa")]), [
    { id: 5, status: "end", error: true },
    { id: 5, status: "keepalive", error: false, data: fromHex("aa") },
  ]);
  // An IP literal sent as a domain is that IP, bracketed IPv6 included (4.34's ParseAddress).
  const asDomain = (s: string) => {
    const name = utf8(s);
    const meta = concatBytes(fromHex("0001 01 00 01 0050 02"), new Uint8Array([name.length]), name);
    return concatBytes(new Uint8Array([0, meta.length]), meta);
  };
  assertEquals(decodeAll([asDomain("127.0.0.1")])[0].destination, tcp("127.0.0.1", 80));
  assertEquals(decodeAll([asDomain("[::1]")])[0].destination, tcp("::1", 80));
  assertEquals(decodeAll([asDomain("0day.example")])[0].destination, tcp("0day.example", 80));
  // A zero data length is a frame with empty data.
  assertEquals(decodeAll([fromHex("0004 0001 02 01 0000")]), [
    { id: 1, status: "keep", error: false, data: new Uint8Array(0) },
  ]);
});

Deno.test("mux frame: every malformed input is a typed MuxProtocolError", () => {
  const bad: [string, MuxProtocolErrorCode][] = [
    ["0004 0001 05 00", "bad-status"],
    ["0004 0001 00 00", "bad-status"],
    ["0201 " + "00".repeat(513), "bad-length"], // metadata over 512
    ["0003 000102", "bad-length"],
    ["0000", "bad-length"],
    ["0007 0001 01 00 01 0050 01", "truncated"], // New under 8 bytes
    ["0009 0001 01 00 01 0050 01 0102", "truncated"], // IPv4 cut short
    ["000a 0001 01 00 01 0050 02 05 6162", "truncated"], // domain overruns the metadata
    ["0014 0001 01 00 01 0050 03 0102030405060708090a0b0c", "truncated"], // IPv6 cut short
    ["000c 0001 01 00 03 0050 01 01020304", "bad-network"],
    ["000c 0001 01 00 00 0050 01 01020304", "bad-network"],
    ["000c 0001 01 00 01 0050 04 01020304", "bad-address"],
    ["000c 0001 01 00 01 0050 00 01020304", "bad-address"],
    ["0009 0001 01 00 01 0050 02 00", "bad-address"], // empty domain
    ["000b 0001 01 00 01 0050 02 02 612f", "bad-address"], // "a/"
    ["000b 0001 01 00 01 0050 02 02 5b31", "bad-address"], // "[1": not an IP, '[' not allowed
    ["000c 0001 02 00 02 0050 07 01020304", "bad-address"], // Xray UDP Keep, bad address
  ];
  for (const [hex, code] of bad) {
    const wire = fromHex(hex);
    assertEquals(codeOf(() => decodeAll([wire])), code, hex);
    // The same error whatever the split, and never before the bytes that prove it.
    for (let seed = 1; seed <= 10; seed++) {
      assertEquals(codeOf(() => decodeAll(randomSplits(wire, seed))), code, `${hex} #${seed}`);
    }
  }
  // A stream that ends inside a frame is truncated, not silently short.
  for (const hex of ["00", "0004 0001", "0004 0001 02 01 00", "0004 0001 02 01 0003 6162"]) {
    assertEquals(codeOf(() => decodeAll([fromHex(hex)])), "truncated", hex);
  }
  for (const code of MUX_PROTOCOL_ERROR_CODES) {
    assert(new MuxProtocolError(code, "x") instanceof MuxProtocolError);
  }
});

Deno.test("mux frame: the encoder refuses frames that cannot be sent", () => {
  assertThrows(() => encodeFrame({ id: 1, status: "new", error: false }), RangeError);
  assertThrows(
    () => encodeFrame({ id: 1, status: "end", error: false, destination: tcp("a", 1) }),
    RangeError,
  );
  assertThrows(
    () => encodeFrame({ id: 1, status: "keep", error: false, destination: tcp("a", 1) }),
    RangeError,
  );
  assertThrows(
    () => encodeFrame({ id: 1, status: "new", error: false, destination: tcp("a".repeat(256), 1) }),
    RangeError,
  );
  assertThrows(
    () => encodeFrame({ id: 1, status: "keep", error: false, data: new Uint8Array(0x10000) }),
    RangeError,
  );
});

// Addresses as the decoder gives them back: canonical IP text, or a domain that is not an IP.
const address = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIP(b)),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIP(b)),
  fc.tuple(
    fc.constantFrom(..."abcxyzABCXYZ_-."),
    fc.string({ unit: fc.constantFrom(..."abz09-_.AZ"), maxLength: 254 }),
  ).map(([a, b]) => a + b),
);
const destination = fc.record({
  network: fc.constantFrom("tcp" as const, "udp" as const),
  address,
  port: fc.integer({ min: 0, max: 65535 }),
}).map((d): Destination => ({ ...d }));
const frame: fc.Arbitrary<Frame> = fc.record({
  id: fc.integer({ min: 0, max: 65535 }),
  status: fc.constantFrom(...STATUSES),
  error: fc.boolean(),
  destination,
  data: fc.option(fc.uint8Array({ maxLength: 3000 }), { nil: undefined }),
}).map(({ id, status, error, destination, data }) => {
  const f: { -readonly [K in keyof Frame]: Frame[K] } = { id, status, error };
  if (status === "new") f.destination = destination;
  if (status === "keep" && destination.network === "udp" && data) f.destination = destination;
  if (data) f.data = data;
  return f;
});

Deno.test("mux frame (property): encode then decode over random splits gives the frames back", () => {
  fc.assert(
    fc.property(fc.array(frame, { maxLength: 12 }), fc.array(fc.nat()), (frames, at) => {
      const wire = concatBytes(...frames.map(encodeFrame));
      assertEquals(decodeAll(cut(wire, at)), frames);
    }),
    fuzzParams({ numRuns: 300 }),
  );
});

Deno.test("mux frame (property): garbage throws nothing but MuxProtocolError, and ends", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
      fc.boolean(),
      (pieces, framed) => {
        // Half the runs start with a valid frame so the garbage lands mid-stream too.
        const all = framed
          ? [encodeFrame({ id: 1, status: "keepalive", error: false }), ...pieces]
          : pieces;
        const total = all.reduce((n, p) => n + p.length, 0);
        const d = new FrameDecoder();
        let frames = 0;
        try {
          for (const p of all) {
            d.push(p);
            // A frame is at least 6 bytes, so this loop cannot run more than total / 6 times.
            for (let f = d.next(); f; f = d.next()) {
              frames++;
              assert(frames <= total / 6, "decoder produced frames out of nothing");
            }
          }
        } catch (e) {
          if (!(e instanceof MuxProtocolError)) throw e;
        }
      },
    ),
    fuzzParams({ numRuns: 2000 }),
  );
});

Deno.test("mux config: mux.concurrency as 4.34 reads it", () => {
  assertEquals(readMuxSetting(undefined), { kind: "off" });
  assertEquals(readMuxSetting({ enabled: true }), { kind: "on", enabled: true, concurrency: 8 });
  assertEquals(readMuxSetting({ enabled: true, concurrency: 0 }), {
    kind: "on",
    enabled: true,
    concurrency: 8,
  });
  assertEquals(readMuxSetting({ enabled: true, concurrency: 1 }).kind, "on");
  assertEquals(readMuxSetting({ enabled: true, concurrency: 1024 }), {
    kind: "on",
    enabled: true,
    concurrency: 1024,
  });
  // Negative turns mux off entirely, even when enabled.
  assertEquals(readMuxSetting({ enabled: true, concurrency: -1 }), { kind: "off" });
  assertEquals(readMuxSetting({ enabled: true, concurrency: -32768 }), { kind: "off" });
  // Over 1024 stops v2ray from starting, even with enabled false; past int16 is a parse error.
  assertEquals(readMuxSetting({ enabled: false, concurrency: 1025 }).kind, "invalid");
  assertEquals(readMuxSetting({ concurrency: 32768 }).kind, "invalid");
  assertEquals(readMuxSetting({ concurrency: -32769 }).kind, "invalid");
  assertEquals(readMuxSetting({ concurrency: 1.5 }).kind, "invalid");
  assertEquals(readMuxSetting({}), { kind: "on", enabled: false, concurrency: 8 });
});
