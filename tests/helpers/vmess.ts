/** VMess requests for tests: a header to the echo target, sealed as a client would send it. */
import { randomBytes } from "../../lib/core/bytes.ts";
import { ClientAccount, parseUuid, type RequestHeader, type Uuid } from "../../lib/vmess/mod.ts";

/** The demo user of most tests. */
export const TEST_ID: Uuid = parseUuid("b831381d-6324-4d53-ad4f-8cda48b30811")!;

/** A TCP request header to 127.0.0.1:`port` (aes-128-gcm, S|M|P, fresh keys), with `extra`. */
export function requestTo(port: number, extra: Partial<RequestHeader> = {}): RequestHeader {
  return {
    bodyIv: randomBytes(16),
    bodyKey: randomBytes(16),
    responseAuth: 1,
    options: 0x0d,
    security: "aes-128-gcm",
    command: "tcp",
    destination: { network: "tcp", address: "127.0.0.1", port },
    ...extra,
  };
}

/** The first bytes a client of `id` (AEAD header) sends for a request to 127.0.0.1:`port`. */
export function firstPacket(
  port: number,
  id: Uuid = TEST_ID,
  nowSec = Math.floor(Date.now() / 1000),
) {
  return ClientAccount.of(id, 0).encodeRequest(requestTo(port), nowSec);
}
