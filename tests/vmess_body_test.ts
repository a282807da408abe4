import { assert, assertEquals, assertThrows } from "./assert.ts";
import { aesCfb, AesCfbStream, createAead, fnv1a32, Shake128Stream } from "../lib/crypto/mod.ts";
import { concatBytes, fromHex, randomBytes, toHex, utf8 } from "../lib/core/bytes.ts";
import { ProtocolError } from "../lib/core/errors.ts";
import { kdf16 } from "../lib/vmess/kdf.ts";
import { Option, type WireSecurity } from "../lib/vmess/types.ts";
import { responseBodyKeys } from "../lib/vmess/body_keys.ts";
import { type BodyCodecParams, DEFAULT_MAX_CHUNK_PAYLOAD } from "../lib/vmess/body_plan.ts";
import { BodyWriter } from "../lib/vmess/body_writer.ts";
import { BodyReader } from "../lib/vmess/body_reader.ts";
import { ByteQueue } from "../lib/vmess/byte_queue.ts";
import { chacha20Poly1305Key } from "../lib/vmess/chunk_auth.ts";
import { MaskedSize, ShakePadding } from "../lib/vmess/chunk_size.ts";

// §8.2: Body IV 1011…1f, Body Key 2021…2f.
const IV = fromHex("101112131415161718191a1b1c1d1e1f");
const KEY = fromHex("202122232425262728292a2b2c2d2e2f");
const REQUEST = { key: KEY, iv: IV };
const { S, M, P, A } = {
  S: Option.ChunkStream,
  M: Option.ChunkMasking,
  P: Option.GlobalPadding,
  A: Option.AuthenticatedLength,
};
const HELLO = utf8("hello");

type Sec = WireSecurity | "zero";

function params(
  security: Sec,
  options: number,
  packet = false,
  extra: Partial<BodyCodecParams> = {},
): BodyCodecParams {
  return { security, options, key: KEY, iv: IV, packet, authLengthKeys: REQUEST, ...extra };
}

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

/**
 * Feeds `wire` in random pieces (often 1 byte, sometimes large), draining after each push. With
 * `reuse`, every piece goes through one buffer that is scribbled over after each drain and
 * detach(), as a socket's read buffer is: what the reader kept must not depend on it.
 */
function feed(reader: BodyReader, wire: Uint8Array, seed: number, reuse = false): Uint8Array[] {
  const rnd = prng(seed);
  const out: Uint8Array[] = [];
  const shared = new Uint8Array(40064);
  for (let o = 0; o < wire.length;) {
    const n = Math.min(rnd(4) === 0 ? 1 : 1 + rnd(rnd(2) === 0 ? 64 : 40000), wire.length - o);
    if (reuse) {
      shared.set(wire.subarray(o, o + n));
      reader.push(shared.subarray(0, n));
    } else {
      // A copy, so no test relies on pieces sharing one ArrayBuffer.
      reader.push(wire.slice(o, o + n));
    }
    o += n;
    for (let p = reader.next(); p !== null; p = reader.next()) out.push(reuse ? p.slice() : p);
    if (reuse) {
      reader.detach();
      shared.fill(0xa5);
    }
  }
  return out;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function nonce(counter: number, iv: Uint8Array = IV): Uint8Array {
  const n = iv.slice(0, 12);
  n[0] = counter >>> 8;
  n[1] = counter & 0xff;
  return n;
}

// ---------------------------------------------------------------------------------------------
// §8.2 vectors

Deno.test("§8.2: ChaCha20-Poly1305 body key is MD5(k) ‖ MD5(MD5(k))", () => {
  assertEquals(
    toHex(chacha20Poly1305Key(KEY)),
    "35ba6d08f0e34c15b9d0b09998960eb608192e2100960d3badb6175ebb26e7ab",
  );
});

Deno.test("§8.2: SHAKE128(IV) draws alternate padding then mask", () => {
  const shake = new Shake128Stream(IV);
  const padding = new ShakePadding(shake);
  const mask = new MaskedSize(shake);
  const field = new Uint8Array(2);
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    const pad = padding.next();
    mask.encode(0, field, 0); // size 0 exposes the mask itself
    seen.push(`${pad}/${toHex(field)}`);
  }
  // Draws fc91 8e43 ecc4 b6ae a436 a3be; padding = draw mod 64.
  assertEquals(seen, [`${0xfc91 % 64}/8e43`, `${0xecc4 % 64}/b6ae`, `${0xa436 % 64}/a3be`]);
  assertEquals(0xfc91 % 64, 17);
});

Deno.test("§8.2: KDF16(BodyKey, auth_len)", () => {
  assertEquals(toHex(kdf16(KEY, utf8("auth_len"))), "b5aa9ae1cde5868ebebf49f8fc314664");
});

Deno.test("§8.2: first GCM chunk 'hello' with S|M|P, and the two after it", () => {
  const w = new BodyWriter(params("aes-128-gcm", S | M | P));
  const first = w.write(HELLO);
  assertEquals(first.length, 2 + 21 + 17);
  assertEquals(toHex(first.subarray(0, 2)), "8e65");
  assertEquals(toHex(first.subarray(2, 23)), "26aca2da2078f552797282c9aa9cf67d935233aad8");
  assertEquals(toHex(nonce(0)), "000012131415161718191a1b");
  // Chunks 2 and 3: pads 4 and 54, masks b6ae and a3be, nonce counters 1 and 2.
  const gcm = createAead("aes-128-gcm", KEY);
  for (const [counter, pad, mask] of [[1, 4, 0xb6ae], [2, 54, 0xa3be]]) {
    const c = w.write(HELLO);
    assertEquals(c.length, 2 + 21 + pad, `chunk ${counter} length`);
    assertEquals(u16(c, 0), (21 + pad) ^ mask, `chunk ${counter} size field`);
    assertEquals(toHex(c.subarray(2, 23)), toHex(gcm.seal(nonce(counter), HELLO)));
  }
});

// ---------------------------------------------------------------------------------------------
// Wire layouts checked against independent primitives

Deno.test("none over TCP: size ‖ data, size 0 ends, and P adds no padding draw", () => {
  const plain = new BodyWriter(params("none", S));
  assertEquals(toHex(plain.write(HELLO)), "0005" + toHex(HELLO));
  assertEquals(toHex(plain.end()), "0000");
  // With M|P the first draw (fc91) masks the first size: no padding is drawn before it.
  const masked = new BodyWriter(params("none", S | M | P));
  assertEquals(toHex(masked.write(HELLO)), (0x0005 ^ 0xfc91).toString(16) + toHex(HELLO));
  assertEquals(toHex(masked.end()), (0x8e43).toString(16));
  // V2Ray's none-TCP reader starts handing out a chunk before all of it has arrived.
  const r = new BodyReader(params("none", S));
  r.push(fromHex("000a68656c"));
  assertEquals(toHex(r.next()!), "68656c");
  assertEquals(r.next(), null);
});

Deno.test("none over UDP: generic chunk with overhead 0, padding applies", () => {
  const w = new BodyWriter(params("none", S | M | P, true));
  const c = w.write(HELLO);
  assertEquals(c.length, 2 + 5 + 17);
  assertEquals(u16(c, 0), (5 + 17) ^ 0x8e43);
  assertEquals(toHex(c.subarray(2, 7)), toHex(HELLO));
  const end = w.end();
  assertEquals(end.length, 2 + 4); // padLen 4 (ecc4), no payload
  assertEquals(u16(end, 0), 4 ^ 0xb6ae);
});

Deno.test("legacy: whole body CFB-wrapped, chunks of size ‖ FNV ‖ plaintext", () => {
  const w = new BodyWriter(params("aes-128-cfb", S));
  const wire = concatBytes(w.write(HELLO), w.end());
  const plain = aesCfb(KEY, IV, wire, true);
  const fnv = fnv1a32(HELLO).toString(16).padStart(8, "0");
  assertEquals(toHex(plain), "0009" + fnv + toHex(HELLO) + "0004" + "811c9dc5");
  // Without S: a plain CFB stream; its end is the transport's EOF.
  const raw = new BodyWriter(params("aes-128-cfb", 0));
  assertEquals(toHex(raw.write(HELLO)), toHex(aesCfb(KEY, IV, HELLO, false)));
  assertEquals(raw.end().length, 0);
});

Deno.test("legacy response in legacy header mode: the header's CFB stream continues into the body", () => {
  const resp = responseBodyKeys("legacy", REQUEST);
  const headerStream = new AesCfbStream(resp.key, resp.iv, false);
  const header = headerStream.update(fromHex("5a000000"));
  const w = new BodyWriter({ ...params("aes-128-cfb", S), ...resp, cfb: headerStream });
  const wire = concatBytes(header, w.write(HELLO), w.end());
  const plain = aesCfb(resp.key, resp.iv, wire, true);
  assertEquals(toHex(plain.subarray(0, 4)), "5a000000");
  const fnv = fnv1a32(HELLO).toString(16).padStart(8, "0");
  assertEquals(toHex(plain.subarray(4, 15)), "0009" + fnv + toHex(HELLO));
  // The client side: its decrypting stream read the header, the reader continues from there.
  const clientStream = new AesCfbStream(resp.key, resp.iv, true);
  assertEquals(toHex(clientStream.update(wire.subarray(0, 4))), "5a000000");
  const r = new BodyReader({ ...params("aes-128-cfb", S), ...resp, cfb: clientStream });
  assertEquals(feed(r, wire.subarray(4), 7).map(toHex), [toHex(HELLO)]);
  assert(r.finished);
});

Deno.test("zero: security none with S and M cleared, so the body is the raw bytes", () => {
  for (const options of [0, S, S | M]) {
    const w = new BodyWriter(params("zero", options));
    assert(w.write(HELLO) === HELLO, "raw none returns the plaintext itself");
    assertEquals(w.end().length, 0);
    const r = new BodyReader(params("zero", options));
    assertEquals(r.framing, "raw");
    const wire = utf8("raw bytes");
    r.push(wire);
    const got = r.next()!;
    assert(got.buffer === wire.buffer, "raw reader returns a view of the pushed bytes");
    assertEquals(r.finished, false);
  }
});

Deno.test("option A: length sealed under KDF16(request key, auth_len), own counter, no mask draw", () => {
  const w = new BodyWriter(params("aes-128-gcm", S | M | P | A));
  const lenAead = createAead("aes-128-gcm", kdf16(KEY, utf8("auth_len")));
  const c1 = w.write(HELLO);
  // Padding still comes from SHAKE: 17, then 0x8e43 % 64 = 3 because A draws no mask.
  assertEquals(
    toHex(lenAead.open(nonce(0), c1.subarray(0, 18))!),
    (5 + 17).toString(16).padStart(4, "0"),
  );
  assertEquals(toHex(c1.subarray(18, 39)), "26aca2da2078f552797282c9aa9cf67d935233aad8");
  assertEquals(c1.length, 18 + 21 + 17);
  const c2 = w.write(HELLO);
  assertEquals(
    toHex(lenAead.open(nonce(1), c2.subarray(0, 18))!),
    (5 + 3).toString(16).padStart(4, "0"),
  );
  const end = w.end();
  assertEquals(
    toHex(lenAead.open(nonce(2), end.subarray(0, 18))!),
    (0xecc4 % 64).toString(16).padStart(4, "0"),
  );
});

Deno.test("option A, response direction, ChaCha: payload and SHAKE on response keys, length on request keys", () => {
  const resp = responseBodyKeys("aead", REQUEST);
  const w = new BodyWriter({ ...params("chacha20-poly1305", S | M | A), ...resp });
  const c = w.write(HELLO);
  const lenAead = createAead(
    "chacha20-poly1305",
    chacha20Poly1305Key(kdf16(KEY, utf8("auth_len"))),
  );
  assertEquals(toHex(lenAead.open(nonce(0, IV), c.subarray(0, 18))!), "0005");
  const body = createAead("chacha20-poly1305", chacha20Poly1305Key(resp.key));
  assertEquals(toHex(body.open(nonce(0, resp.iv), c.subarray(18))!), toHex(HELLO));
  const r = new BodyReader({ ...params("chacha20-poly1305", S | M | A), ...resp });
  assertEquals(feed(r, concatBytes(c, w.end()), 3).map(toHex), [toHex(HELLO)]);
  assert(r.finished);
});

// ---------------------------------------------------------------------------------------------
// Round trips

const SECURITIES: Sec[] = ["aes-128-gcm", "chacha20-poly1305", "none", "aes-128-cfb", "zero"];
const OPTION_SETS: [string, number][] = [
  ["raw", 0],
  ["S", S],
  ["S|M", S | M],
  ["S|M|P", S | M | P],
  ["S|M|A", S | M | A],
  ["S|M|P|A", S | M | P | A],
];
const STREAM_SIZES = [0, 1, 15, 1966, 2048, 16368, 16369, 70000];
const PACKET_SIZES = [1, 100, 1966, 1967, 16368];

for (const security of SECURITIES) {
  for (const [label, options] of OPTION_SETS) {
    if (security === "zero" && (options & P)) continue; // refused, tested below
    for (const packet of [false, true]) {
      Deno.test(`round trip ${security} ${label} ${packet ? "packet" : "stream"}`, () => {
        const payloads = (packet ? PACKET_SIZES : STREAM_SIZES).map((n) => randomBytes(n));
        for (let seed = 1; seed <= 3; seed++) {
          const w = new BodyWriter(params(security, options, packet));
          const r = new BodyReader(params(security, options, packet));
          const framed = r.framing !== "raw";
          assertEquals(framed, (options & S) !== 0 && security !== "zero");
          const wire = concatBytes(...payloads.map((p) => w.write(p)), w.end());
          // Bytes after the terminator (V2Ray's tag and padding, or anything) are not read.
          const got = feed(r, concatBytes(wire, randomBytes(50)), seed, seed === 3);
          const tag = `seed ${seed}`;
          if (framed && packet) {
            // One datagram per chunk, boundaries kept.
            assertEquals(got.map((g) => g.length), payloads.map((p) => p.length), tag);
            assertEquals(got.map(toHex), payloads.map(toHex), tag);
          } else {
            const sent = concatBytes(...payloads);
            const recv = concatBytes(...got);
            // A raw body has no end marker: the trailing 50 bytes are body bytes there.
            assertEquals(recv.length, sent.length + (framed ? 0 : 50), tag);
            assertEquals(toHex(recv.subarray(0, sent.length)), toHex(sent), tag);
          }
          assertEquals(r.finished, framed, tag);
          assertEquals(r.partial, false, tag);
          assertEquals(r.next(), null, tag);
        }
      });
    }
  }
}

Deno.test("maxChunkPayload 1966 splits a 70 000-byte write into 36 chunks", () => {
  for (const security of ["aes-128-gcm", "aes-128-cfb", "none"] as const) {
    const p = params(security, S | M | P, false, { maxChunkPayload: 1966 });
    const w = new BodyWriter(p);
    const r = new BodyReader(p);
    const data = randomBytes(70000);
    r.push(concatBytes(w.write(data), w.end()));
    const got: Uint8Array[] = [];
    for (let x = r.next(); x !== null; x = r.next()) got.push(x);
    assertEquals(got.length, Math.ceil(70000 / 1966), security);
    assert(got.every((g, i) => g.length === (i < 35 ? 1966 : 70000 - 35 * 1966)), security);
    assertEquals(toHex(concatBytes(...got)), toHex(data));
  }
});

Deno.test("default chunk payload is 16368 and every byte split decodes (1-byte pushes)", () => {
  assertEquals(DEFAULT_MAX_CHUNK_PAYLOAD, 16368);
  const p = params("aes-128-gcm", S | M | P);
  const w = new BodyWriter(p);
  const data = randomBytes(40000);
  const wire = concatBytes(w.write(data), w.end());
  const r = new BodyReader(p);
  const got: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i++) {
    r.push(wire.subarray(i, i + 1));
    for (let x = r.next(); x !== null; x = r.next()) got.push(x);
  }
  assertEquals(got.map((g) => g.length), [16368, 16368, 40000 - 2 * 16368]);
  assertEquals(toHex(concatBytes(...got)), toHex(data));
  assert(r.finished);
});

Deno.test("AEAD nonce counter is a uint16 that wraps at 65536", () => {
  const count = 65536 + 10;
  const p = params("aes-128-gcm", S | M, false, { maxChunkPayload: 1 });
  const w = new BodyWriter(p);
  const data = randomBytes(count);
  const wire = concatBytes(w.write(data), w.end());
  // Without P each chunk is 2 + 1 + 16 bytes; chunk 65536 reuses the nonce of chunk 0.
  assertEquals(wire.length, 19 * (count + 1) - 1);
  const gcm = createAead("aes-128-gcm", KEY);
  const at = 19 * 65536 + 2;
  assertEquals(
    toHex(wire.subarray(at, at + 17)),
    toHex(gcm.seal(nonce(0), data.subarray(65536, 65537))),
  );
  const r = new BodyReader(p);
  r.push(wire);
  let n = 0;
  for (let x = r.next(); x !== null; x = r.next()) {
    assertEquals(x[0], data[n], `byte ${n}`);
    n++;
  }
  assertEquals(n, count);
  assert(r.finished);
});

Deno.test("reader returns views of pushed bytes for none and legacy, not copies", () => {
  const w = new BodyWriter(params("none", S));
  const wire = concatBytes(w.write(HELLO), w.write(HELLO));
  const r = new BodyReader(params("none", S));
  r.push(wire);
  const a = r.next()!;
  assert(a.buffer === wire.buffer, "none stream chunk is a view");
  const lw = new BodyWriter(params("none", S | M | P, true));
  const lwire = concatBytes(lw.write(HELLO), lw.write(HELLO));
  const lr = new BodyReader(params("none", S | M | P, true));
  lr.push(lwire);
  const d1 = lr.next()!, d2 = lr.next()!;
  assert(
    d1.buffer === lwire.buffer && d2.buffer === lwire.buffer,
    "packet none datagrams are views",
  );
});

Deno.test("ByteQueue: views within one array, copies across arrays, keep vs scratch", () => {
  const q = new ByteQueue();
  const a = fromHex("0102030405"), b = fromHex("060708"), c = fromHex("090a");
  q.push(a);
  q.push(new Uint8Array(0));
  q.push(b);
  q.push(c);
  assertEquals(q.length, 10);
  const v = q.take(3, false);
  assert(v.buffer === a.buffer, "within one array: a view");
  const straddle = q.take(4, false);
  assertEquals(toHex(straddle), "04050607");
  assert(straddle.buffer !== a.buffer && straddle.buffer !== b.buffer, "across arrays: a copy");
  q.skip(1);
  assertEquals(toHex(q.takeSome(10)), "090a");
  assertEquals(q.length, 0);
  q.push(fromHex("aabb"));
  q.push(fromHex("cc"));
  const kept = q.take(3, true);
  q.push(fromHex("dd"));
  q.push(fromHex("ee"));
  q.take(2, false); // would overwrite a scratch copy
  assertEquals(toHex(kept), "aabbcc");
  assertThrows(() => q.take(1, false), RangeError);
});

// ---------------------------------------------------------------------------------------------
// Failures

function drain(r: BodyReader): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let x = r.next(); x !== null; x = r.next()) out.push(x);
  return out;
}

Deno.test("tampered chunk → ProtocolError bad-chunk after the good chunks, and it sticks", () => {
  for (const security of ["aes-128-gcm", "chacha20-poly1305", "aes-128-cfb"] as const) {
    for (const options of [S, S | M | P, S | M | A]) {
      const p = params(security, options);
      const w = new BodyWriter(p);
      const first = w.write(HELLO);
      const second = w.write(utf8("world!"));
      const wire = concatBytes(first, second, w.end());
      // Flip a byte of the second chunk's payload (legacy: CFB keeps the flip in place).
      const sizeField = options & A && security !== "aes-128-cfb" ? 18 : 2;
      wire[first.length + sizeField + 1] ^= 0x40;
      const r = new BodyReader(p);
      r.push(wire);
      assertEquals(toHex(r.next()!), toHex(HELLO), `${security} ${options}`);
      const e = assertThrows(() => r.next(), ProtocolError);
      assertEquals(e.code, "bad-chunk");
      assertEquals(assertThrows(() => r.next(), ProtocolError), e);
      r.push(randomBytes(10)); // ignored once failed
    }
  }
});

Deno.test("tampered authenticated length → bad-chunk", () => {
  const p = params("aes-128-gcm", S | M | A);
  const wire = new BodyWriter(p).write(HELLO);
  wire[3] ^= 1;
  const r = new BodyReader(p);
  r.push(wire);
  assertEquals(assertThrows(() => r.next(), ProtocolError).code, "bad-chunk");
});

Deno.test("impossible sizes: below the tag → bad-chunk; authenticated length past 65535 → chunk-too-large", () => {
  // S|M on GCM: the first mask is fc91; a size of 5 cannot hold a 16-byte tag.
  const r = new BodyReader(params("aes-128-gcm", S | M));
  r.push(fromHex((5 ^ 0xfc91).toString(16)));
  assertEquals(assertThrows(() => r.next(), ProtocolError).code, "bad-chunk");
  // Legacy: a size of 2 cannot hold the 4-byte FNV.
  const lr = new BodyReader(params("aes-128-cfb", S));
  lr.push(aesCfb(KEY, IV, fromHex("0002aabb"), false));
  assertEquals(assertThrows(() => lr.next(), ProtocolError).code, "bad-chunk");
  // Option A: a length of 65530 + tag exceeds what a chunk can be.
  const lenAead = createAead("aes-128-gcm", kdf16(KEY, utf8("auth_len")));
  const ar = new BodyReader(params("aes-128-gcm", S | M | A));
  ar.push(lenAead.seal(nonce(0), fromHex("fffa")));
  assertEquals(assertThrows(() => ar.next(), ProtocolError).code, "chunk-too-large");
});

Deno.test("writer refuses oversize datagrams and out-of-range chunk limits", () => {
  const w = new BodyWriter(params("aes-128-gcm", S | M | P, true, { maxChunkPayload: 1966 }));
  assertEquals(w.write(randomBytes(1966)).length > 1966, true);
  assertEquals(
    assertThrows(() => w.write(randomBytes(1967)), ProtocolError).code,
    "chunk-too-large",
  );
  assertEquals(w.write(new Uint8Array(0)).length, 0, "an empty datagram is dropped, not sealed");
  // The size field must hold plaintext + tag + the largest padding.
  new BodyWriter(params("aes-128-gcm", S | M | P, false, { maxChunkPayload: 65535 - 16 - 63 }));
  assertThrows(
    () =>
      new BodyWriter(params("aes-128-gcm", S | M | P, false, { maxChunkPayload: 65535 - 16 - 62 })),
    RangeError,
  );
  assertThrows(() => new BodyWriter(params("none", S, false, { maxChunkPayload: 0 })), RangeError);
  new BodyWriter(params("none", S, false, { maxChunkPayload: 65535 }));
});

Deno.test("truncated body: never an error, just not finished", () => {
  for (const options of [S, S | M | P, S | M | P | A]) {
    const p = params("aes-128-gcm", options);
    const w = new BodyWriter(p);
    const a = w.write(HELLO), b = w.write(randomBytes(3000));
    // Cut inside the second chunk: the first still decodes.
    const r = new BodyReader(p);
    r.push(concatBytes(a, b.subarray(0, 100)));
    assertEquals(drain(r).map(toHex), [toHex(HELLO)]);
    assertEquals(r.finished, false);
    assertEquals(r.partial, true);
    // Cut at a chunk boundary without a terminator (a 4.34 server whose upstream failed).
    const r2 = new BodyReader(p);
    r2.push(concatBytes(a, b));
    assertEquals(drain(r2).length, 2);
    assertEquals(r2.finished, false);
    assertEquals(r2.partial, false);
  }
});

Deno.test("option P without M is refused, whatever the security", () => {
  for (const security of SECURITIES) {
    for (const options of [S | P, P, S | P | A]) {
      const e = assertThrows(() => new BodyWriter(params(security, options)), ProtocolError);
      assertEquals(e.code, "bad-options");
      assertThrows(() => new BodyReader(params(security, options, true)), ProtocolError);
    }
  }
  // "zero" clears M, so P with it is P without M.
  assertThrows(() => new BodyWriter(params("zero", S | M | P)), ProtocolError);
});

Deno.test("misuse: A without request keys, CFB stream for a non-legacy body, write after end", () => {
  assertThrows(
    () =>
      new BodyWriter({ security: "aes-128-gcm", options: S | A, key: KEY, iv: IV, packet: false }),
    TypeError,
  );
  // A is ignored for none and legacy (as in V2Fly 4.41), so no request keys are needed there.
  new BodyWriter({ security: "none", options: S | A, key: KEY, iv: IV, packet: false });
  assertThrows(
    () => new BodyReader({ ...params("aes-128-gcm", S), cfb: new AesCfbStream(KEY, IV, true) }),
    TypeError,
  );
  assertThrows(
    () => new BodyWriter(params("aes-128-gcm", S, false, { key: KEY.subarray(1) })),
    RangeError,
  );
  const w = new BodyWriter(params("aes-128-gcm", S));
  w.end();
  assert(w.ended);
  assertThrows(() => w.write(HELLO), Error, "after end");
  assertThrows(() => w.end(), Error, "twice");
});

Deno.test("BodyWriter.write(into): lays the wire out in the caller's buffer when it fits", () => {
  for (const security of ["aes-128-gcm", "chacha20-poly1305", "none"] as const) {
    const w = new BodyWriter(params(security, S | M | P));
    const r = new BodyReader(params(security, S | M | P));
    const into = new Uint8Array(w.capacity(40000));
    const first = randomBytes(40000), second = randomBytes(40000);
    const a = w.write(first, into);
    assert(a.buffer === into.buffer, `${security}: a view of the buffer given`);
    r.push(a.slice());
    const small = w.write(second, new Uint8Array(10));
    assert(small.buffer.byteLength >= small.length && small.length > 10, "too small: a new array");
    r.push(small);
    const got: Uint8Array[] = [];
    for (let x = r.next(); x !== null; x = r.next()) got.push(x);
    assertEquals(toHex(concatBytes(...got)), toHex(concatBytes(first, second)), security);
  }
  assertEquals(new BodyWriter(params("aes-128-cfb", S)).capacity(100), 0);
  assertEquals(new BodyWriter(params("none", 0)).capacity(100), 0);
});
