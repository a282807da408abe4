/**
 * The two backends against each other (fast-check): random keys, nonces, AAD, lengths 0-70,000
 * and subarray offsets give the same bytes from `openssl` and `node`, each opens the other's, a
 * tampered tag, ciphertext or AAD is refused by both, and no call writes outside its output.
 */
import fc from "fast-check";
import { fuzzParams } from "./helpers/fuzz.ts";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { type CryptoBackend, loadCryptoBackend } from "../lib/crypto/mod.ts";
import { toHex } from "../lib/core/bytes.ts";
import { needsTest } from "./helpers/peer.ts";

const node = await loadCryptoBackend("node");
let openssl: CryptoBackend | null = null;
let missing: string | null = null;
try {
  openssl = await loadCryptoBackend("openssl");
} catch (e) {
  missing = `the openssl backend is not available (${(e as Error).message})`;
}
/** Both backends (the tests run only when openssl loaded: needsTest). */
function both(): [CryptoBackend, CryptoBackend] {
  return [openssl!, node];
}

/** Deterministic bytes from a seed (xorshift32), so fast-check can replay a failing case. */
function bytes(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** `data` placed at `offset` inside a larger array with `tail` bytes after it: a true subarray. */
function placed(data: Uint8Array, offset: number, tail: number): Uint8Array {
  const buf = new Uint8Array(offset + data.length + tail).fill(0xa5);
  buf.set(data, offset);
  return buf.subarray(offset, offset + data.length);
}

// Lengths: mostly short, some up to 70,000 (past the largest VMess chunk).
const length = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 70_000 }));
const offset = fc.integer({ min: 0, max: 33 });
const algorithm = fc.constantFrom("aes-128-gcm" as const, "chacha20-poly1305" as const);
const RUNS = fuzzParams({ numRuns: 150 });

needsTest(
  "differential: AEAD seal/open agree across backends, at any offsets, both ways",
  missing,
  () => {
    const [a, b] = both();
    fc.assert(
      fc.property(
        algorithm,
        fc.integer(),
        length,
        fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
        offset,
        offset,
        (alg, seed, n, aadLen, inOff, outOff) => {
          const key = bytes(seed, alg === "aes-128-gcm" ? 16 : 32);
          const nonce = placed(bytes(seed + 1, 12), inOff % 5, 1);
          const aad = aadLen === undefined ? undefined : placed(bytes(seed + 2, aadLen), 3, 2);
          const pt = placed(bytes(seed + 3, n), inOff, 7);
          const ka = a.createAead(alg, key), kb = b.createAead(alg, key);
          try {
            const outA = placed(new Uint8Array(outOff + n + 16 + 9), 5, 5);
            const outB = placed(new Uint8Array(outOff + n + 16 + 9), 5, 5);
            ka.sealInto(nonce, pt, outA, outOff, aad);
            kb.sealInto(nonce, pt, outB, outOff, aad);
            assertEquals(toHex(outA), toHex(outB));
            // Nothing written before the offset or after the sealed bytes, nor outside the view.
            assert(outA.subarray(0, outOff).every((x) => x === 0));
            assert(outA.subarray(outOff + n + 16).every((x) => x === 0));
            const under = new Uint8Array(outA.buffer, 0, 5),
              over = new Uint8Array(outA.buffer).subarray(-5);
            assert([...under, ...over].every((x) => x === 0xa5), "wrote outside the output view");
            const sealed = outA.subarray(outOff, outOff + n + 16);
            assertEquals(toHex(a.aeadSeal(alg, key, nonce, pt, aad)), toHex(sealed));
            // Each opens the other's, into an offset or into a new array.
            const backA = new Uint8Array(n + outOff), backB = new Uint8Array(n + outOff);
            assert(ka.openInto(nonce, outB.subarray(outOff, outOff + n + 16), backA, outOff, aad));
            assert(kb.openInto(nonce, sealed, backB, outOff, aad));
            assertEquals(backA.subarray(outOff), pt);
            assertEquals(backB.subarray(outOff), pt);
            assertEquals(b.aeadOpen(alg, key, nonce, sealed, aad), pt.slice());
          } finally {
            ka.dispose();
            kb.dispose();
          }
        },
      ),
      RUNS,
    );
  },
);

needsTest(
  "differential: a flipped bit in tag, ciphertext or AAD is refused by both backends",
  missing,
  () => {
    const [a, b] = both();
    fc.assert(
      fc.property(
        algorithm,
        fc.integer(),
        fc.integer({ min: 0, max: 4000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        fc.boolean(),
        (alg, seed, n, aadLen, where, inAad) => {
          const key = bytes(seed, alg === "aes-128-gcm" ? 16 : 32);
          const nonce = bytes(seed + 1, 12), aad = bytes(seed + 2, aadLen);
          const sealed = a.aeadSeal(alg, key, nonce, bytes(seed + 3, n), aad);
          const badAad = aad.slice(), badSealed = sealed.slice();
          if (inAad) badAad[where % aad.length] ^= 1 << (where % 8);
          else badSealed[where % sealed.length] ^= 1 << (where % 8);
          for (const backend of [a, b]) {
            assertEquals(backend.aeadOpen(alg, key, nonce, badSealed, badAad), null);
            const aead = backend.createAead(alg, key);
            const out = new Uint8Array(n).fill(0x77);
            assert(!aead.openInto(nonce, badSealed, out, 0, badAad));
            assert(out.every((x) => x === 0), "unverified plaintext left in the output");
            aead.dispose();
          }
        },
      ),
      RUNS,
    );
  },
);

needsTest("differential: digests, resumed states and HMAC agree across backends", missing, () => {
  const [a, b] = both();
  fc.assert(
    fc.property(
      fc.constantFrom("md5" as const, "sha1" as const, "sha256" as const),
      fc.integer(),
      fc.array(length, { maxLength: 4 }),
      fc.integer({ min: 0, max: 200 }),
      (alg, seed, lengths, keyLen) => {
        const parts = lengths.map((n, i) => placed(bytes(seed + i, n), i, 1));
        assertEquals(toHex(a.digest(alg, parts)), toHex(b.digest(alg, parts)));
        const ha = a.createHash(alg), hb = b.createHash(alg);
        for (const p of parts.slice(0, -1)) {
          ha.update(p);
          hb.update(p);
        }
        const last = parts.at(-1) ?? new Uint8Array(0);
        assertEquals(toHex(ha.copy().digestWith(last)), toHex(hb.digestWith(last)));
        assertEquals(toHex(ha.update(last).digest()), toHex(a.digest(alg, parts)));
        if (alg !== "sha1") {
          const key = bytes(seed - 1, keyLen), data = parts[0] ?? new Uint8Array(0);
          assertEquals(toHex(a.hmac(alg, key, data)), toHex(b.hmac(alg, key, data)));
        }
      },
    ),
    fuzzParams({ numRuns: 100 }),
  );
});

needsTest(
  "differential: AES block, CFB streams over random splits and SHAKE128 agree",
  missing,
  () => {
    const [a, b] = both();
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 8 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 3000 }),
        (seed, splits, decrypt, shakeLen) => {
          const key = bytes(seed, 16), iv = bytes(seed + 1, 16), block = bytes(seed + 2, 16);
          const ea = a.aesBlock(key, block, false);
          assertEquals(toHex(ea), toHex(b.aesBlock(key, block, false)));
          assertEquals(toHex(b.aesBlock(key, ea, true)), toHex(block));
          const sa = a.createAesCfb(key, iv, decrypt), sb = b.createAesCfb(key, iv, decrypt);
          splits.forEach((n, i) => {
            const data = placed(bytes(seed + 3 + i, n), i, 2);
            assertEquals(toHex(sa.update(data)), toHex(sb.update(data)));
          });
          sa.dispose();
          sb.dispose();
          const sh = a.shake128(iv, shakeLen);
          assertEquals(toHex(sh), toHex(b.shake128(iv, shakeLen)));
          assertEquals(toHex(b.shake128(iv, shakeLen + 5).subarray(0, shakeLen)), toHex(sh));
        },
      ),
      fuzzParams({ numRuns: 100 }),
    );
  },
);

needsTest("differential: both backends refuse the same bad lengths and offsets", missing, () => {
  for (const backend of both()) {
    const gcm = backend.createAead("aes-128-gcm", new Uint8Array(16));
    const pt = new Uint8Array(10), nonce = new Uint8Array(12);
    assertThrows(() => gcm.sealInto(new Uint8Array(11), pt, new Uint8Array(26), 0), RangeError);
    assertThrows(() => gcm.sealInto(nonce, pt, new Uint8Array(25), 0), RangeError);
    assertThrows(() => gcm.sealInto(nonce, pt, new Uint8Array(26), 1), RangeError);
    assertThrows(() => gcm.openInto(nonce, new Uint8Array(26), new Uint8Array(9), 0), RangeError);
    assertThrows(() => backend.createAead("chacha20-poly1305", new Uint8Array(31)), RangeError);
    assertThrows(
      () => backend.aesBlock(new Uint8Array(16), new Uint8Array(17), false),
      RangeError,
    );
    assertThrows(
      () => backend.createAesCfb(new Uint8Array(16), new Uint8Array(8), true),
      RangeError,
    );
    assertThrows(() => backend.shake128(new Uint8Array(1), -1), RangeError);
    assertThrows(() => backend.createHash("sha512" as "sha256"), RangeError);
    assertEquals(gcm.open(nonce, new Uint8Array(15)), null);
    gcm.dispose();
  }
});
