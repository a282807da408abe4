/**
 * Known answers for every primitive, through the active backend: `deno task test` runs the suite
 * once per backend (DENORAY_CRYPTO=openssl, then node), so both reproduce the standards' vectors.
 */
import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  aeadOpen,
  aeadSeal,
  aesCfb,
  AesCfbStream,
  aesDecryptBlock,
  aesEncryptBlock,
  crc32,
  createAead,
  createHash,
  CRYPTO_ENV,
  CryptoError,
  cryptoStatus,
  fnv1a32,
  hmacMd5,
  hmacSha256,
  md5,
  sha1,
  sha256,
  shake128,
  Shake128Stream,
} from "../lib/crypto/mod.ts";
import { PLATFORM_SHAKE_MAX, SQUEEZE_BYTES } from "../lib/crypto/shake.ts";
import { concatBytes, fromHex, toHex, utf8 } from "../lib/core/bytes.ts";

Deno.test(`the backend ${CRYPTO_ENV} asks for is the one in use, not a silent fallback`, () => {
  const asked = Deno.env.get(CRYPTO_ENV);
  if (asked === "openssl" || asked === "node") assertEquals(cryptoStatus().name, asked);
  assert(cryptoStatus().description.length > 0);
});

Deno.test("fnv1a32 and crc32 known answers", () => {
  assertEquals(fnv1a32(new Uint8Array(0)).toString(16), "811c9dc5");
  assertEquals(fnv1a32(utf8("foobar")).toString(16), "bf9cf968");
  assertEquals(crc32(utf8("123456789")).toString(16), "cbf43926");
  assertEquals(crc32(new Uint8Array(0)), 0);
  assertEquals(crc32(utf8("The quick brown fox jumps over the lazy dog")).toString(16), "414fa339");
});

// The GCM specification's test cases 1-4 (AES-128), as NIST's GCM validation vectors repeat them.
const GCM_K = "feffe9928665731c6d6a8f9467308308";
const GCM_IV = "cafebabefacedbaddecaf888";
const GCM_P = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const GCM_C = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";
const GCM_CASES: [string, string, string, string, string, string][] = [
  // key, iv, plaintext, aad, ciphertext, tag
  ["00".repeat(16), "00".repeat(12), "", "", "", "58e2fccefa7e3061367f1d57a4e7455a"],
  [
    "00".repeat(16),
    "00".repeat(12),
    "00".repeat(16),
    "",
    "0388dace60b6a392f328c2b971b2fe78",
    "ab6e47d42cec13bdf53a67b21257bddf",
  ],
  [GCM_K, GCM_IV, GCM_P, "", GCM_C, "4d5c2af327cd64a62cf35abd2ba6fab4"],
  [
    GCM_K,
    GCM_IV,
    GCM_P.slice(0, 120),
    "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    GCM_C.slice(0, 120),
    "5bc94fbc3221a5db94fae95ae7121a47",
  ],
];

// RFC 8439 §2.8.2.
const CHACHA = {
  key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
  nonce: "070000004041424344454647",
  aad: "50515253c0c1c2c3c4c5c6c7",
  plaintext: "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for " +
    "the future, sunscreen would be it.",
  ciphertext: "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
    "3ff4def08e4b7a9de576d26586cec64b6116",
  tag: "1ae10b594f09e26a7e902ecbd0600691",
};

Deno.test("AES-128-GCM: the GCM spec's test cases 1-4, keyed object and one-shot, into offsets", () => {
  for (const [k, iv, p, a, c, t] of GCM_CASES) {
    const key = fromHex(k), nonce = fromHex(iv), pt = fromHex(p);
    const aad = a ? fromHex(a) : undefined;
    const aead = createAead("aes-128-gcm", key);
    try {
      assertEquals(toHex(aead.seal(nonce, pt, aad)), c + t);
      assertEquals(toHex(aeadSeal("aes-128-gcm", key, nonce, pt, aad)), c + t);
      const out = new Uint8Array(pt.length + 16 + 7);
      aead.sealInto(nonce, pt, out, 3, aad);
      assertEquals(toHex(out.subarray(3, 3 + pt.length + 16)), c + t);
      assertEquals([...out.subarray(0, 3), ...out.subarray(3 + pt.length + 16)], [
        0,
        0,
        0,
        0,
        0,
        0,
        0,
      ]);
      const sealed = fromHex(c + t);
      assertEquals(toHex(aead.open(nonce, sealed, aad)!), p);
      assertEquals(toHex(aeadOpen("aes-128-gcm", key, nonce, sealed, aad)!), p);
      const back = new Uint8Array(pt.length + 5);
      assert(aead.openInto(nonce, sealed, back, 5, aad));
      assertEquals(toHex(back.subarray(5)), p);
    } finally {
      aead.dispose();
    }
  }
});

Deno.test("ChaCha20-Poly1305: RFC 8439 §2.8.2, sealed, opened, and tampered", () => {
  const key = fromHex(CHACHA.key), nonce = fromHex(CHACHA.nonce), aad = fromHex(CHACHA.aad);
  const pt = utf8(CHACHA.plaintext);
  const aead = createAead("chacha20-poly1305", key);
  try {
    const sealed = aead.seal(nonce, pt, aad);
    assertEquals(toHex(sealed), CHACHA.ciphertext + CHACHA.tag);
    assertEquals(toHex(aeadSeal("chacha20-poly1305", key, nonce, pt, aad)), toHex(sealed));
    assertEquals(toHex(aead.open(nonce, sealed, aad)!), toHex(pt));
    assertEquals(aead.open(nonce, sealed), null, "the AAD is authenticated");
    sealed[sealed.length - 1] ^= 0x80;
    assertEquals(aead.open(nonce, sealed, aad), null, "the tag is checked");
  } finally {
    aead.dispose();
  }
});

Deno.test("AEAD: every flipped bit of ciphertext, tag or AAD is refused, and openInto zeroes", () => {
  for (const [algorithm, klen] of [["aes-128-gcm", 16], ["chacha20-poly1305", 32]] as const) {
    const key = new Uint8Array(klen).fill(9), nonce = new Uint8Array(12).fill(3);
    const aad = utf8("header"), pt = utf8("a short secret message");
    const aead = createAead(algorithm, key);
    try {
      const sealed = aead.seal(nonce, pt, aad);
      for (let bit = 0; bit < sealed.length * 8; bit++) {
        const bad = sealed.slice();
        bad[bit >> 3] ^= 1 << (bit & 7);
        const out = new Uint8Array(pt.length).fill(0xee);
        assert(!aead.openInto(nonce, bad, out, 0, aad), `${algorithm} bit ${bit}`);
        assertEquals(out, new Uint8Array(pt.length), "no unverified plaintext is left behind");
      }
      for (let bit = 0; bit < aad.length * 8; bit++) {
        const badAad = aad.slice();
        badAad[bit >> 3] ^= 1 << (bit & 7);
        assertEquals(aead.open(nonce, sealed, badAad), null);
      }
      assertEquals(aead.open(nonce, sealed.subarray(0, 15), aad), null, "shorter than a tag");
    } finally {
      aead.dispose();
    }
  }
});

Deno.test("AEAD: lengths and offsets are checked before anything is done", () => {
  const aead = createAead("aes-128-gcm", new Uint8Array(16));
  const nonce = new Uint8Array(12), pt = new Uint8Array(32);
  try {
    assertThrows(() => createAead("aes-128-gcm", new Uint8Array(32)), RangeError);
    assertThrows(() => createAead("chacha20-poly1305", new Uint8Array(16)), RangeError);
    assertThrows(() => aead.seal(new Uint8Array(8), pt), RangeError);
    assertThrows(() => aead.sealInto(nonce, pt, new Uint8Array(47), 0), RangeError);
    assertThrows(() => aead.sealInto(nonce, pt, new Uint8Array(48), 1), RangeError);
    assertThrows(() => aead.sealInto(nonce, pt, new Uint8Array(60), -1), RangeError);
    assertThrows(() => aead.sealInto(nonce, pt, new Uint8Array(60), 0.5), RangeError);
    const sealed = aead.seal(nonce, pt);
    assertThrows(() => aead.openInto(nonce, sealed, new Uint8Array(31), 0), RangeError);
    // In place is allowed; a partial overlap is not.
    const buf = new Uint8Array(64);
    buf.set(pt, 0);
    aead.sealInto(nonce, buf.subarray(0, 32), buf, 0);
    assertEquals(toHex(buf.subarray(0, 48)), toHex(sealed));
    assert(aead.openInto(nonce, buf.subarray(0, 48), buf, 0));
    assertEquals(buf.subarray(0, 32), pt);
    assertThrows(() => aead.sealInto(nonce, buf.subarray(0, 32), buf, 8), RangeError);
    assertThrows(() => aeadSeal("aes-128-gcm", new Uint8Array(15), nonce, pt), RangeError);
  } finally {
    aead.dispose();
  }
});

Deno.test("AEAD and CFB: dispose is idempotent and any later use is CryptoError disposed", () => {
  const aead = createAead("chacha20-poly1305", new Uint8Array(32));
  aead.dispose();
  aead.dispose();
  const e = assertThrows(() => aead.seal(new Uint8Array(12), new Uint8Array(1)), CryptoError);
  assertEquals(e.code, "disposed");
  const cfb = new AesCfbStream(new Uint8Array(16), new Uint8Array(16), false);
  cfb.update(new Uint8Array(3));
  cfb[Symbol.dispose]();
  assertEquals(assertThrows(() => cfb.update(new Uint8Array(1)), CryptoError).code, "disposed");
});

Deno.test("AES-128: FIPS-197 C.1 and SP 800-38A F.1.1 (ECB)", () => {
  const key = fromHex("000102030405060708090a0b0c0d0e0f");
  const ct = aesEncryptBlock(key, fromHex("00112233445566778899aabbccddeeff"));
  assertEquals(toHex(ct), "69c4e0d86a7b0430d8cdb78070b4c55a");
  assertEquals(toHex(aesDecryptBlock(key, ct)), "00112233445566778899aabbccddeeff");
  const k2 = fromHex("2b7e151628aed2a6abf7158809cf4f3c");
  assertEquals(
    toHex(aesEncryptBlock(k2, fromHex("6bc1bee22e409f96e93d7e117393172a"))),
    "3ad77bb40d7a3660a89ecaf32466ef97",
  );
  assertThrows(() => aesEncryptBlock(key, new Uint8Array(15)), RangeError);
});

// SP 800-38A F.3.13 / F.3.14 (CFB128-AES128).
const CFB_KEY = fromHex("2b7e151628aed2a6abf7158809cf4f3c");
const CFB_IV = fromHex("000102030405060708090a0b0c0d0e0f");
const CFB_P = fromHex(
  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" +
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
);
const CFB_C = "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b" +
  "26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6";

Deno.test("AES-128-CFB: SP 800-38A F.3.13/14, whole and over every split", () => {
  assertEquals(toHex(aesCfb(CFB_KEY, CFB_IV, CFB_P, false)), CFB_C);
  assertEquals(toHex(aesCfb(CFB_KEY, CFB_IV, fromHex(CFB_C), true)), toHex(CFB_P));
  for (let step = 1; step <= 64; step += step < 20 ? 1 : 11) {
    const enc = new AesCfbStream(CFB_KEY, CFB_IV, false);
    const dec = new AesCfbStream(CFB_KEY, CFB_IV, true);
    const parts: Uint8Array[] = [], back: Uint8Array[] = [];
    for (let o = 0; o < CFB_P.length; o += step) {
      const c = enc.update(CFB_P.subarray(o, o + step));
      parts.push(c);
      back.push(dec.update(c));
    }
    assertEquals(toHex(concatBytes(...parts)), CFB_C, `step ${step}`);
    assertEquals(concatBytes(...back), CFB_P);
    enc.dispose();
    dec.dispose();
  }
});

Deno.test("MD5 (RFC 1321), SHA-1 (FIPS 180) and SHA-256 (FIPS 180) known answers", () => {
  assertEquals(toHex(md5()), "d41d8cd98f00b204e9800998ecf8427e");
  assertEquals(toHex(md5(utf8("abc"))), "900150983cd24fb0d6963f7d28e17f72");
  assertEquals(toHex(md5(utf8("message "), utf8("digest"))), "f96b697d7cb7938d525a2f31aaf161d0");
  assertEquals(
    toHex(md5(utf8("1234567890".repeat(8)))),
    "57edf4a22be3c955ac49da2e2107b67a",
  );
  assertEquals(toHex(sha1()), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assertEquals(toHex(sha1(utf8("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assertEquals(
    toHex(sha1(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
  assertEquals(
    toHex(sha256()),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assertEquals(
    toHex(sha256(utf8("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    toHex(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assertEquals(
    toHex(sha256(new Uint8Array(1_000_000).fill(0x61))),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

Deno.test("SHA-1 gives RFC 6455's Sec-WebSocket-Accept", () => {
  const accept = sha1(utf8("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
  assertEquals(btoa(String.fromCharCode(...accept)), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("hash states: copy, digestWith and digest agree with one-shot digests", () => {
  for (const algorithm of ["md5", "sha1", "sha256"] as const) {
    const one = { md5, sha1, sha256 }[algorithm];
    const h = createHash(algorithm).update(utf8("abc")).update(utf8("def"));
    const fork = h.copy();
    assertEquals(toHex(h.digestWith(utf8("ghi"))), toHex(one(utf8("abcdefghi"))));
    const out = new Uint8Array(40).fill(1);
    h.digestWith(utf8("x"), out, 4);
    assertEquals(
      toHex(out.subarray(4, 4 + fork.copy().digest().length)),
      toHex(one(utf8("abcdefx"))),
    );
    assertEquals(out[0], 1);
    assertEquals(toHex(fork.update(utf8("g")).digest()), toHex(one(utf8("abcdefg"))));
    assertEquals(
      toHex(h.digest()),
      toHex(one(utf8("abcdef"))),
      "digestWith left the state as it was",
    );
    assertEquals(assertThrows(() => h.update(utf8("more")), CryptoError).code, "disposed");
    assertThrows(
      () => createHash(algorithm).digestWith(utf8(""), new Uint8Array(8), 0),
      RangeError,
    );
  }
});

Deno.test("HMAC-SHA256 (RFC 4231 cases 1, 2, 6) and HMAC-MD5 (RFC 2202 cases 1, 2)", () => {
  const hiThere = utf8("Hi There"),
    jefe = utf8("Jefe"),
    what = utf8("what do ya want for nothing?");
  assertEquals(
    toHex(hmacSha256(new Uint8Array(20).fill(0x0b), hiThere)),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  );
  assertEquals(
    toHex(hmacSha256(jefe, what)),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  assertEquals(
    toHex(
      hmacSha256(
        new Uint8Array(131).fill(0xaa),
        utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
      ),
    ),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  );
  assertEquals(
    toHex(hmacMd5(new Uint8Array(16).fill(0x0b), hiThere)),
    "9294727a3638bb1c13f48ef8158bfc9d",
  );
  assertEquals(toHex(hmacMd5(jefe, what)), "750c783e6ab0b503eaa86e310a5db738");
});

Deno.test("SHAKE128 (FIPS 202) and the VMess draw stream across regenerations", () => {
  assertEquals(
    toHex(shake128(new Uint8Array(0), 32)),
    "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26",
  );
  assertEquals(
    toHex(shake128(utf8("The quick brown fox jumps over the lazy dog"), 32)),
    "f4202e3c5852f9182a0430fd8144f0a74b95e7417ecae17db0f8cfeed0e3e66e",
  );
  assertEquals(shake128(utf8("x"), 0).length, 0);
  const s = new Shake128Stream(new Uint8Array(16));
  const first = [s.nextUint16(), s.nextUint16(), s.nextUint16(), s.nextUint16()];
  assertEquals(first.map((v) => v.toString(16).padStart(4, "0")).join(""), "8f8e4f612e61ffb9");
  const iv = fromHex("101112131415161718191a1b1c1d1e1f");
  const a = new Shake128Stream(iv);
  const draws = Array.from({ length: 6 }, () => a.nextUint16().toString(16).padStart(4, "0"));
  assertEquals(draws.join(" "), "fc91 8e43 ecc4 b6ae a436 a3be");
  // 5000 draws cross several regenerations; they are one long SHAKE128 output.
  const b = new Shake128Stream(iv);
  const many = Array.from({ length: 5000 }, () => b.nextUint16());
  const long = shake128(iv, 10000);
  assertEquals(many[4999], (long[9998] << 8) | long[9999]);
  assertEquals(many[1234], (long[2468] << 8) | long[2469]);
});

Deno.test("SHAKE128 draw stream: past the platform's share it goes on as one output, in bounded memory", () => {
  const iv = fromHex("101112131415161718191a1b1c1d1e1f");
  const s = new Shake128Stream(iv);
  const bytes = PLATFORM_SHAKE_MAX + 3 * SQUEEZE_BYTES + 6; // into the fourth squeeze
  const long = shake128(iv, bytes);
  let held = 0;
  for (let i = 0; i < bytes; i += 2) {
    const v = s.nextUint16();
    if (v !== ((long[i] << 8) | long[i + 1])) throw new Error(`draw at byte ${i} differs`);
    held = Math.max(held, s.heldBytes);
  }
  assert(held <= PLATFORM_SHAKE_MAX, `held ${held} bytes`);
  assertEquals(s.heldBytes, SQUEEZE_BYTES);
});
