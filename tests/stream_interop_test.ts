/**
 * Interop with the real V2Ray 4.34 over every stream layer we share with it (ws, ws+tls, tcp+tls,
 * the TCP HTTP header), in both directions: 1 MiB each way through an echo target, checksummed.
 */
import { makeTestPki } from "./helpers/certs.ts";
import { EchoServer, freePort } from "./helpers/net.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { peerTest } from "./helpers/peer.ts";
import { V2Ray } from "./helpers/v2ray.ts";
import {
  clientStream,
  echoThrough,
  serverStream,
  VARIANTS,
  vmessClientConfig,
  vmessServerConfig,
} from "./helpers/transport.ts";

for (const variant of VARIANTS) {
  peerTest(
    "v2ray",
    `interop: denoray client → v2ray server over ${variant}, 1 MiB each way`,
    async () => {
      await using pki = await makeTestPki();
      await using echo = new EchoServer();
      const serverPort = freePort();
      await using _server = await V2Ray.start(
        vmessServerConfig(serverPort, serverStream(variant, pki)),
        [serverPort],
      );
      await using client = await RunningInstance.start(
        vmessClientConfig(0, echo.port, serverPort, clientStream(variant, pki)),
      );
      await echoThrough(client.port(), 1 << 20, 11);
    },
  );

  peerTest(
    "v2ray",
    `interop: v2ray client → denoray server over ${variant}, 1 MiB each way`,
    async () => {
      await using pki = await makeTestPki();
      await using echo = new EchoServer();
      await using server = await RunningInstance.start(
        vmessServerConfig(0, serverStream(variant, pki)),
      );
      const clientPort = freePort();
      await using _client = await V2Ray.start(
        vmessClientConfig(clientPort, echo.port, server.port(), clientStream(variant, pki)),
        [clientPort],
      );
      await echoThrough(clientPort, 1 << 20, 12);
    },
  );
}
