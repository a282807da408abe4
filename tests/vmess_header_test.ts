import { assert, assertEquals } from "./assert.ts";
import { fromHex, randomBytes, toHex, utf8 } from "../lib/core/bytes.ts";
import {
  alterIds,
  ClientAccount,
  cmdKey,
  encodeResponseHeader,
  type HeaderStep,
  kdf,
  kdf16,
  marshalSwitchAccount,
  parseUuid,
  type RequestHeader,
  ResponseHeaderDecoder,
  sealAeadRequest,
  sealAuthId,
  sealLegacyRequest,
  unmarshalSwitchAccount,
  uuidBytes,
  uuidFromBytes,
  VmessServer,
} from "../lib/vmess/mod.ts";
import { encodeRequestHeader } from "../lib/vmess/request_header.ts";
import { responseBodyKeys } from "../lib/vmess/body_keys.ts";
import { timestampBytes } from "../lib/vmess/client_request.ts";
import { hmacMd5 } from "../lib/crypto/mod.ts";

// Spec §8.2 vectors.
const UUID = parseUuid("b831381d-6324-4d53-ad4f-8cda48b30811")!;
const ID = uuidBytes(UUID);
const KEY = cmdKey(ID);
const T = 1700000000;
const HEADER: RequestHeader = {
  bodyIv: fromHex("101112131415161718191a1b1c1d1e1f"),
  bodyKey: fromHex("202122232425262728292a2b2c2d2e2f"),
  responseAuth: 0x5a,
  options: 0x0d,
  security: "aes-128-gcm",
  command: "tcp",
  destination: { network: "tcp", address: "example.com", port: 443 },
};
const PLAIN =
  "01101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f5a0d03000101bb020b6578616d706c652e636f6d880654e7";
const AEAD_WIRE =
  "4774fe5cc901ea4f81f2159909767a36 41c3039a36d708205401e517b6373e9a1e4a 0a0b0c0d0e0f1011 f3235a10ca3069f2de6c53c0eb11c9f5af6e14a519731797e914689a4b5255cace59276ed00f837d9cff3cc77a05c9009dfc485c3bb4494063bc79345d413e843947d7da7e10bd5294";

Deno.test("vmess KAT: cmdKey, alter ids, KDF, AuthID key and AuthIDs", () => {
  assertEquals(toHex(KEY), "b50d916ac0cec067981af8e5f38a758f");
  assertEquals(alterIds(ID, 3).map(uuidFromBytes), [
    "5a071834-12d5-980a-72ac-845d5568d17d",
    "b5f0dba2-de16-aea1-087e-fdbaa0aac7a3",
    "92942ba8-087f-bc0a-e89a-0d235a76ccff",
  ]);
  assertEquals(
    toHex(
      kdf(
        utf8("Demo Key for KDF Value Test"),
        "Demo Path for KDF Value Test",
        "Demo Path for KDF Value Test2",
        "Demo Path for KDF Value Test3",
      ),
    ),
    "53e9d7e1bd7bd25022b71ead07d8a596efc8a845c7888652fd684b4903dc8892",
  );
  assertEquals(
    toHex(kdf(utf8("key"), "label")),
    "c9cebf77e859ffcbe78619d4e503b0df707f1d7ac98a189c418763940880e3eb",
  );
  assertEquals(
    toHex(kdf(utf8("x"))),
    "57bc45fb1efad8bf4d86ae0777f22f1c004f1f77a54d3f1f4406cf0670585d40",
  );
  const authKey = kdf16(KEY, "AES Auth ID Encryption");
  assertEquals(toHex(authKey), "1415ba74ca8b3d041a8f583fb4116315");
  assertEquals(
    toHex(sealAuthId(authKey, T, fromHex("deadbeef"))),
    "7997d3314952dc37e0b284331b6bb2e7",
  );
  assertEquals(
    toHex(sealAuthId(authKey, T, fromHex("01020304"))),
    "4774fe5cc901ea4f81f2159909767a36",
  );
  const authId = fromHex("4774fe5cc901ea4f81f2159909767a36"), nonce = fromHex("0a0b0c0d0e0f1011");
  assertEquals(
    toHex(kdf(KEY, "VMess Header AEAD Key_Length", authId, nonce)),
    "97227b321532906ba40f641bb975c0d4fe646beec5f043b30ee0f9a1c72a39da",
  );
  assertEquals(
    toHex(kdf(KEY, "VMess Header AEAD Nonce", authId, nonce)),
    "7b3dd66b08bad7e14dbb4949f816d356c3acc0b6d705b3fe8b3e933cf800df33",
  );
});

Deno.test("vmess KAT: full AEAD and legacy request headers, response keys and AEAD response header", () => {
  const plain = encodeRequestHeader(HEADER, 0);
  assertEquals(toHex(plain), PLAIN);
  const wire = sealAeadRequest(KEY, plain, T, {
    rand: fromHex("01020304"),
    connNonce: fromHex("0a0b0c0d0e0f1011"),
  });
  assertEquals(toHex(wire), AEAD_WIRE.replaceAll(" ", ""));
  assertEquals(
    toHex(sealLegacyRequest(ID, KEY, plain, T)),
    "cb4c98431253a6f41d16adc57e6d3550" +
      "18e026f9ae24387cf561291b8e3b96a0a6e8f4aac6ba747a185b5160e9c9a642e66b14646abb5cad3e6d15374ea5816cc8813c83b6528b3eeb",
  );
  const req = { key: HEADER.bodyKey, iv: HEADER.bodyIv };
  const aead = responseBodyKeys("aead", req), legacy = responseBodyKeys("legacy", req);
  assertEquals([toHex(aead.key), toHex(aead.iv)], [
    "36db1adc807ac50e4c85bd86a174b4aa",
    "fc2e2c73072bfa2bda03ff9307472deb",
  ]);
  assertEquals([toHex(legacy.key), toHex(legacy.iv)], [
    "35ba6d08f0e34c15b9d0b09998960eb6",
    "1bf42e241816ba29ff5f307bb1bc1d16",
  ]);
  assertEquals(
    toHex(encodeResponseHeader("aead", req, { responseAuth: 0x5a }).bytes),
    "bdbf42fa9d3621ee2883fcdb50faf39e51498040906ad3f95ba36908f282c6bff05c15fc06af",
  );
});

Deno.test("vmess KAT: SwitchAccount bytes captured from 4.34 round-trip", () => {
  const captured = fromHex("e688498d007a4e57f2eff85cfbcf76bf95fbfe0ba274d9000701" + "05");
  const cmd = unmarshalSwitchAccount(captured)!;
  assertEquals(cmd, {
    host: "",
    port: 31310,
    id: parseUuid("57f2eff8-5cfb-cf76-bf95-fbfe0ba274d9")!,
    alterIds: 7,
    level: 1,
    validMinutes: 5,
  });
  assertEquals(toHex(marshalSwitchAccount(cmd)), toHex(captured));
  captured[5] ^= 1;
  assertEquals(unmarshalSwitchAccount(captured), null);
});

/** Feeds `wire` in random pieces; a done step's rest also gets the bytes never pushed. */
function feedSplit(server: VmessServer, wire: Uint8Array, now: number): HeaderStep {
  const r = server.headerReader(now);
  let step: HeaderStep = { kind: "need-more" };
  for (let o = 0; o < wire.length;) {
    const n = 1 + Math.floor(Math.random() * 30);
    step = r.push(wire.slice(o, o + n));
    o += n;
    if (step.kind === "done") {
      return { ...step, rest: new Uint8Array([...step.rest, ...wire.slice(o)]) };
    }
    if (step.kind !== "need-more") break;
  }
  return step;
}

const users = [{ id: UUID, alterId: 4, level: 1, email: "a@b" }];

Deno.test("vmess server: AEAD and legacy headers over random splits, body bytes kept", () => {
  for (const alterId of [0, 4]) {
    const account = ClientAccount.of(UUID, alterId);
    for (
      const destination of [
        { network: "tcp" as const, address: "1.2.3.4", port: 80 },
        { network: "udp" as const, address: "2001:db8::1", port: 53 },
        { network: "tcp" as const, address: "example.com", port: 443 },
      ]
    ) {
      const server = new VmessServer(users);
      const now = Math.floor(Date.now() / 1000);
      const h = {
        ...HEADER,
        bodyKey: randomBytes(16),
        bodyIv: randomBytes(16),
        destination,
        command: destination.network,
      };
      const wire = new Uint8Array([...account.encodeRequest(h, now), 9, 8, 7]);
      const step = feedSplit(server, wire, now);
      assert(step.kind === "done", JSON.stringify(step));
      assertEquals(step.value.mode, alterId === 0 ? "aead" : "legacy");
      assertEquals(step.value.header.destination, destination);
      assertEquals(toHex(step.value.header.bodyKey), toHex(h.bodyKey));
      assertEquals([...step.rest], [9, 8, 7]);
      assertEquals(step.value.user.email, "a@b");
    }
  }
});

Deno.test("vmess server: legacy window accepts ±120 s and refuses ±121 s", () => {
  const server = new VmessServer(users);
  const now = 1_700_000_000;
  for (const lag of [0, 40, -40, 80, -80, 120, -120, 121, -121, 310, -500]) {
    const auth = hmacMd5(ID, timestampBytes(now + lag));
    const step = server.headerReader(now).push(auth);
    assertEquals(
      step.kind === "failed" ? "refused" : "found",
      Math.abs(lag) <= 120 ? "found" : "refused",
      `lag ${lag}`,
    );
  }
});

Deno.test("vmess server: wrong user, stale time, replay, every flipped byte and truncation fail cleanly", () => {
  const now = Math.floor(Date.now() / 1000);
  const account = ClientAccount.of(UUID, 0);
  const server = new VmessServer(users, now);
  const other = new VmessServer([{
    id: parseUuid("00000000-0000-4000-8000-000000000001")!,
    alterId: 0,
    level: 0,
    email: "",
  }]);
  const wire = account.encodeRequest(HEADER, now);
  assertEquals(feedSplit(other, wire, now).kind, "failed");
  assertEquals(feedSplit(server, account.encodeRequest(HEADER, now - 121), now).kind, "failed");
  assertEquals(feedSplit(server, account.encodeRequest(HEADER, now + 121), now).kind, "failed");
  assertEquals(feedSplit(server, wire, now).kind, "done");
  const replay = feedSplit(server, wire, now);
  assert(replay.kind === "failed" && replay.code === "replay", JSON.stringify(replay));
  for (let i = 0; i < wire.length; i++) {
    const bad = wire.slice();
    bad[i] ^= 0x40;
    const step = new VmessServer(users, now).headerReader(now).push(bad);
    assertEquals(step.kind, "failed", `byte ${i}`);
  }
  for (let n = 0; n < wire.length; n++) {
    assertEquals(
      new VmessServer(users, now).headerReader(now).push(wire.slice(0, n)).kind,
      "need-more",
      `length ${n}`,
    );
  }
});

Deno.test("vmess response header decoder: both modes, any split, with a command", () => {
  const cmd = { host: "", port: 31310, id: UUID, alterIds: 7, level: 1, validMinutes: 5 };
  for (const mode of ["aead", "legacy"] as const) {
    const req = { key: randomBytes(16), iv: randomBytes(16) };
    const { bytes } = encodeResponseHeader(mode, req, { responseAuth: 7, command: cmd });
    const wire = new Uint8Array([...bytes, 1, 2, 3]);
    const dec = new ResponseHeaderDecoder(mode, req, 7);
    let got = null;
    for (let o = 0; o < wire.length && !got; o++) got = dec.push(wire.subarray(o, o + 1));
    assert(got);
    assertEquals(got.command, cmd);
    const wrong = new ResponseHeaderDecoder(mode, req, 8);
    let threw = false;
    try {
      wrong.push(wire);
    } catch {
      threw = true;
    }
    assert(threw, `${mode}: a wrong response auth byte must be refused`);
  }
});
