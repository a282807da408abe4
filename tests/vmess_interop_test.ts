/**
 * Interop with the real V2Ray 4.34 in both directions: denoray client → v2ray server and
 * v2ray client → denoray server, AEAD (alterId 0) and legacy (alterId 4) headers, every security
 * each side offers; 1 MiB up and down through an echo target, checksummed, with half-close.
 */
import { assertEquals } from "./assert.ts";
import { digest, EchoServer, freePort, patternBytes, sendAndReceive } from "./helpers/net.ts";
import { V2Ray } from "./helpers/v2ray.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { requirePeer } from "./helpers/peers.ts";

const ID = "b831381d-6324-4d53-ad4f-8cda48b30811";
const SIZE = 1 << 20;

function dokodemo(port: number, target: number, network = "tcp") {
  return {
    tag: "in",
    listen: "127.0.0.1",
    port,
    protocol: "dokodemo-door",
    settings: { address: "127.0.0.1", port: target, network },
  };
}

function vmessOut(serverPort: number, alterId: number, security: string) {
  return {
    tag: "vmess",
    protocol: "vmess",
    settings: {
      vnext: [{ address: "127.0.0.1", port: serverPort, users: [{ id: ID, alterId, security }] }],
    },
  };
}

function vmessIn(port: number, alterId: number) {
  return {
    tag: "vmess-in",
    listen: "127.0.0.1",
    port,
    protocol: "vmess",
    settings: { clients: [{ id: ID, alterId, email: "u@test" }] },
  };
}

async function transferThrough(port: number, seed: number): Promise<void> {
  const data = patternBytes(SIZE, seed);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const got = await sendAndReceive(conn, data);
    assertEquals(got.length, data.length, "bytes echoed back");
    assertEquals(digest(got), digest(data), "checksum");
  } finally {
    conn.close();
  }
}

const OUR_CLIENT_SECURITIES = [
  "aes-128-gcm",
  "chacha20-poly1305",
  "none",
  "auto",
  "aes-128-cfb",
  "zero",
];
const V2RAY_CLIENT_SECURITIES = ["aes-128-gcm", "chacha20-poly1305", "none", "auto"];

for (const alterId of [0, 4]) {
  for (const security of OUR_CLIENT_SECURITIES) {
    Deno.test(`interop: denoray client → v2ray server, alterId ${alterId}, ${security}`, {
      ignore: !requirePeer("v2ray"),
    }, async () => {
      await using echo = new EchoServer();
      const serverPort = freePort();
      await using _server = await V2Ray.start({
        log: { loglevel: "none" },
        inbounds: [vmessIn(serverPort, alterId)],
        outbounds: [{ protocol: "freedom" }],
      }, [serverPort]);
      await using client = await RunningInstance.start({
        inbounds: [dokodemo(0, echo.port)],
        outbounds: [vmessOut(serverPort, alterId, security)],
      });
      await transferThrough(client.port(), alterId * 10 + 1);
    });
  }
  for (const security of V2RAY_CLIENT_SECURITIES) {
    Deno.test(`interop: v2ray client → denoray server, alterId ${alterId}, ${security}`, {
      ignore: !requirePeer("v2ray"),
    }, async () => {
      await using echo = new EchoServer();
      await using server = await RunningInstance.start({
        inbounds: [vmessIn(0, alterId)],
        outbounds: [{ protocol: "freedom" }],
      });
      const clientPort = freePort();
      await using _client = await V2Ray.start({
        log: { loglevel: "none" },
        inbounds: [dokodemo(clientPort, echo.port)],
        outbounds: [vmessOut(server.port(), alterId, security)],
      }, [clientPort]);
      await transferThrough(clientPort, alterId * 10 + 2);
    });
  }
}
