/**
 * Known answers a backend must reproduce before it is used: a library that opens but cannot do
 * what VMess needs (a FIPS-only build without MD5, a broken install) is refused at startup, not
 * found out on the first connection. The full vectors are in tests/crypto_*_test.ts.
 */
import { fromHex, toHex, utf8 } from "../core/bytes.ts";
import type { CryptoBackend } from "./types.ts";

function expect(what: string, actual: Uint8Array | null, hex: string): void {
  if (actual === null || toHex(actual) !== hex) throw new Error(`self-test failed: ${what}`);
}

/** Throws an Error naming the first primitive that gives a wrong answer. */
export function selfTest(b: CryptoBackend): void {
  const abc = utf8("abc");
  expect("MD5", b.digest("md5", [abc]), "900150983cd24fb0d6963f7d28e17f72");
  expect("SHA-1", b.digest("sha1", [abc]), "a9993e364706816aba3e25717850c26c9cd0d89d");
  expect(
    "SHA-256",
    b.digest("sha256", [abc]),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  expect("SHAKE128", b.shake128(new Uint8Array(0), 8), "7f9c2ba4e88f827d");
  // FIPS-197 appendix C.1.
  const key = fromHex("000102030405060708090a0b0c0d0e0f");
  const block = fromHex("00112233445566778899aabbccddeeff");
  expect("AES-128", b.aesBlock(key, block, false), "69c4e0d86a7b0430d8cdb78070b4c55a");
  // The GCM spec's test case 2 (zero key and IV, one zero block).
  expect(
    "AES-128-GCM",
    b.aeadSeal("aes-128-gcm", new Uint8Array(16), new Uint8Array(12), new Uint8Array(16)),
    "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
  );
  const chacha = b.createAead("chacha20-poly1305", new Uint8Array(32).fill(7));
  try {
    const nonce = new Uint8Array(12).fill(1);
    const sealed = chacha.seal(nonce, abc, block);
    expect("ChaCha20-Poly1305", chacha.open(nonce, sealed, block), toHex(abc));
    sealed[0] ^= 1;
    if (chacha.open(nonce, sealed, block) !== null) throw new Error("self-test failed: tag");
  } finally {
    chacha.dispose();
  }
}
