/**
 * Every parser of untrusted bytes under property-based fuzzing: random and mutated inputs in random
 * splits end in a value, "need more", or a typed error (ProtocolError, ConfigError), never another
 * throw and never a hang. `deno task fuzz` runs each property 5,000 times (FUZZ_RUNS) and prints a
 * FUZZ_SEED that replays the session.
 */
import fc from "fast-check";
import { assert } from "./assert.ts";
import { fuzzParams } from "./helpers/fuzz.ts";
import { ProtocolError } from "../lib/core/errors.ts";
import { ConfigError, loadConfigObject, parseJsonc } from "../lib/config/mod.ts";
import {
  BodyReader,
  BodyWriter,
  ClientAccount,
  parseUuid,
  ResponseHeaderDecoder,
  VmessServer,
  type WireSecurity,
} from "../lib/vmess/mod.ts";
import {
  parseHello,
  parsePasswordAuth,
  parseRequest,
  parseUdpDatagram,
} from "../lib/inbound/socks_protocol.ts";
import { parseRequestHead } from "../lib/inbound/http_protocol.ts";
import { parseResponseHead } from "../lib/inbound/http_response.ts";
import { BodyScanner } from "../lib/inbound/http_message.ts";
import { type PrefixParser, StreamReader } from "../lib/inbound/stream_reader.ts";
import type { ByteStream } from "../lib/core/stream.ts";
import { sniff } from "../lib/sniff/mod.ts";
import { DnsFormatError, parseResponse } from "../lib/dns/mod.ts";

const ID = parseUuid("b831381d-6324-4d53-ad4f-8cda48b30811")!;
const NOW = 1_700_000_000;

/** `bytes` cut at the given points (any values: they are folded into range). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** Runs `f`; an error other than `allowed` fails the property. */
function onlyThrows(allowed: new (...a: never[]) => Error, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof allowed)) throw new Error(`unexpected ${String(e)}`, { cause: e });
  }
}

/** Flips the bits of `mask` at `at` (folded into range). */
function mutate(bytes: Uint8Array, at: number, mask: number): Uint8Array {
  const out = bytes.slice();
  if (out.length > 0) out[at % out.length] ^= mask || 1;
  return out;
}

const bytesArb = fc.uint8Array({ maxLength: 4096 });
const cutsArb = fc.array(fc.nat(), { maxLength: 8 });

function validHeader(alterId: number): Uint8Array {
  return ClientAccount.of(ID, alterId).encodeRequest({
    bodyIv: new Uint8Array(16).fill(7),
    bodyKey: new Uint8Array(16).fill(9),
    responseAuth: 1,
    options: 0x0d,
    security: "aes-128-gcm",
    command: "tcp",
    destination: { network: "tcp", address: "example.com", port: 443 },
  }, NOW);
}

Deno.test("fuzz: VMess request headers (AEAD and legacy), random and mutated, in any split", () => {
  const headers = [validHeader(0), validHeader(4)];
  const feed = (bytes: Uint8Array, cuts: number[]) => {
    const server = new VmessServer([{ id: ID, alterId: 4, level: 0, email: "" }], NOW);
    const reader = server.headerReader(NOW);
    for (const piece of split(bytes, cuts)) {
      const step = reader.push(piece);
      if (step.kind !== "need-more") return step.kind;
    }
    return "need-more";
  };
  fc.assert(
    fc.property(bytesArb, cutsArb, (bytes, cuts) => {
      assert(feed(bytes, cuts) !== "done", "random bytes never make a header");
    }),
    fuzzParams(),
  );
  fc.assert(
    fc.property(fc.nat(1), fc.nat(), fc.nat(255), cutsArb, (which, at, mask, cuts) => {
      const h = headers[which];
      const kind = feed(mutate(h, at, mask), cuts);
      // A flipped bit anywhere in the authenticated header is caught (legacy's last bytes are
      // the command's padding-free end: still inside the FNV checksum).
      assert(kind !== "done", `mutated header #${which} at ${at % h.length} accepted`);
    }),
    fuzzParams(),
  );
});

const SECURITIES: readonly (WireSecurity | "zero")[] = [
  "aes-128-gcm",
  "chacha20-poly1305",
  "none",
  "aes-128-cfb",
  "zero",
];
const OPTION_SETS = [0x00, 0x01, 0x05, 0x0d, 0x1d, 0x15];

Deno.test("fuzz: VMess body chunks for each security and option set, random and mutated", () => {
  const key = new Uint8Array(16).fill(3), iv = new Uint8Array(16).fill(5);
  const params = (security: WireSecurity | "zero", options: number, packet: boolean) => ({
    security,
    options,
    key,
    iv,
    packet,
    authLengthKeys: { key, iv },
  });
  fc.assert(
    fc.property(
      fc.constantFrom(...SECURITIES),
      fc.constantFrom(...OPTION_SETS),
      fc.boolean(),
      bytesArb,
      cutsArb,
      (security, options, packet, bytes, cuts) => {
        onlyThrows(ProtocolError, () => {
          // Some option sets are refused outright (P without M once zero clears M).
          const reader = new BodyReader(params(security, options, packet));
          for (const piece of split(bytes, cuts)) {
            reader.push(piece.slice());
            while (reader.next() !== null) { /* drain */ }
          }
        });
      },
    ),
    fuzzParams(),
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...SECURITIES),
      fc.constantFrom(...OPTION_SETS),
      fc.uint8Array({ minLength: 1, maxLength: 3000 }),
      fc.nat(),
      fc.nat(255),
      cutsArb,
      (security, options, plain, at, mask, cuts) => {
        const p = params(security, options, false);
        let writer: BodyWriter;
        try {
          writer = new BodyWriter(p);
        } catch (e) {
          if (e instanceof ProtocolError) return; // an option set the codec refuses
          throw e;
        }
        const wire = mutate(
          Uint8Array.from([...writer.write(plain), ...writer.end()]),
          at,
          mask,
        );
        const reader = new BodyReader(p);
        onlyThrows(ProtocolError, () => {
          for (const piece of split(wire, cuts)) {
            reader.push(piece.slice());
            while (reader.next() !== null) { /* drain */ }
          }
        });
      },
    ),
    fuzzParams(),
  );
});

Deno.test("fuzz: VMess response headers (AEAD and legacy)", () => {
  const request = { key: new Uint8Array(16).fill(1), iv: new Uint8Array(16).fill(2) };
  fc.assert(
    fc.property(fc.constantFrom("aead", "legacy"), bytesArb, cutsArb, (mode, bytes, cuts) => {
      const dec = new ResponseHeaderDecoder(mode as "aead" | "legacy", request, 7);
      onlyThrows(ProtocolError, () => {
        for (const piece of split(bytes, cuts)) if (dec.push(piece) !== null) break;
      });
    }),
    fuzzParams(),
  );
});

/** A ByteStream that yields `pieces`, then ends. */
function pieces(list: Uint8Array[]): ByteStream {
  let i = 0;
  return {
    read: () => Promise.resolve(i < list.length ? list[i++] : null),
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close: () => {},
  };
}

Deno.test("fuzz: SOCKS4/4a/5 handshakes and UDP datagrams", async () => {
  const parsers: PrefixParser<unknown>[] = [parseHello, parsePasswordAuth, parseRequest];
  fc.assert(
    fc.property(bytesArb, (bytes) => {
      for (const p of parsers) onlyThrows(ProtocolError, () => p(bytes));
      onlyThrows(ProtocolError, () => parseUdpDatagram(bytes));
    }),
    fuzzParams(),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...parsers),
      fc.uint8Array({ maxLength: 600 }),
      cutsArb,
      async (parse, bytes, cuts) => {
        const reader = new StreamReader(pieces(split(bytes, cuts)));
        try {
          await reader.next(parse, 512);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
        }
      },
    ),
    fuzzParams(),
  );
});

// Mostly printable text with line breaks, so that heads get parsed deep, not refused at byte 0.
const httpArb = fc.oneof(
  bytesArb,
  fc.array(
    fc.constantFrom(
      "GET ",
      "CONNECT ",
      "HTTP/1.1",
      " ",
      "\r\n",
      "\n",
      ":",
      "Host",
      "Content-Length: ",
      "Transfer-Encoding: chunked",
      "http://a.b/",
      "0",
      "9",
      "a",
      "\0",
      "ÿ",
    ),
    { maxLength: 60 },
  ).map((parts) => new TextEncoder().encode(parts.join(""))),
);

Deno.test("fuzz: HTTP request and response heads, and body framing", () => {
  fc.assert(
    fc.property(httpArb, (bytes) => {
      onlyThrows(ProtocolError, () => parseRequestHead(bytes));
      onlyThrows(ProtocolError, () => parseResponseHead(bytes));
    }),
    fuzzParams(),
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.constant({ kind: "chunked" as const }),
        fc.nat(5000).map((length) => ({ kind: "length" as const, length })),
        fc.constant({ kind: "close" as const }),
        fc.constant({ kind: "none" as const }),
      ),
      httpArb,
      cutsArb,
      (framing, bytes, cuts) => {
        const scanner = new BodyScanner(framing);
        onlyThrows(ProtocolError, () => {
          for (const piece of split(bytes, cuts)) {
            const n = scanner.push(piece);
            assert(n >= 0 && n <= piece.length, "a count within the piece");
            if (scanner.done) break;
          }
        });
      },
    ),
    fuzzParams(),
  );
});

Deno.test("fuzz: config text and config values end in a config or a ConfigError", async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 400 }), async (text) => {
      try {
        await parseJsonc(text, "fuzz.json");
      } catch (e) {
        if (!(e instanceof ConfigError)) throw new Error(`unexpected ${String(e)}`, { cause: e });
      }
    }),
    fuzzParams(),
  );
  const section = fc.constantFrom(
    "log",
    "inbounds",
    "outbounds",
    "routing",
    "policy",
    "stats",
    "dns",
  );
  fc.assert(
    fc.property(fc.dictionary(section, fc.jsonValue({ maxDepth: 4 })), (value) => {
      onlyThrows(ConfigError, () => loadConfigObject(value));
    }),
    fuzzParams(),
  );
  fc.assert(
    fc.property(fc.anything({ maxDepth: 3 }), (value) => {
      onlyThrows(ConfigError, () => loadConfigObject({ inbounds: [value], outbounds: [value] }));
    }),
    fuzzParams(),
  );
});

Deno.test("fuzz: sniffers over growing prefixes, DNS responses: a verdict or DnsFormatError", () => {
  fc.assert(
    fc.property(bytesArb, cutsArb, (bytes, cuts) => {
      // As sniffing sees a stream: the bytes so far after each piece arrives.
      let seen = 0;
      for (const piece of split(bytes, cuts)) {
        seen += piece.length;
        if (sniff(bytes.subarray(0, seen)).kind !== "need-more") break;
      }
      onlyThrows(DnsFormatError, () => parseResponse(bytes));
    }),
    fuzzParams(),
  );
});
