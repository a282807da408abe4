/**
 * Reload with TLS: a WebSocket + TLS inbound whose settings did not change keeps its listener;
 * certificate files renewed in place are read again at the reload, and the inbound rebinds with them.
 */
import { assertEquals, assertRejects } from "./assert.ts";
import { peerTest } from "./helpers/peer.ts";
import { makeTestPki } from "./helpers/certs.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { EchoServer, freePort } from "./helpers/net.ts";
import {
  clientStream,
  echoThrough,
  serverStream,
  vmessClientConfig,
  vmessServerConfig,
} from "./helpers/transport.ts";

peerTest(
  "openssl",
  "reload: a ws+tls inbound kept as it is; renewed certificate files rebind it",
  async () => {
    await using echo = new EchoServer();
    await using pki = await makeTestPki();
    await using renewed = await makeTestPki();
    // A fixed port: a rebound inbound on port 0 would get a fresh one.
    const config = vmessServerConfig(freePort(), serverStream("ws+tls", pki));
    await using server = await RunningInstance.start(config);
    const port = server.port();
    const client = (trust: typeof pki) =>
      RunningInstance.start(vmessClientConfig(0, echo.port, port, clientStream("ws+tls", trust)));
    await using before = await client(pki);
    await echoThrough(before.port());
    assertEquals((await server.reload(config)).kept, ["vmess-in"]);
    assertEquals(server.port(), port);
    await echoThrough(before.port());

    // The same file names, a certificate from another CA: the stream settings changed.
    await Deno.copyFile(renewed.certFile, pki.certFile);
    await Deno.copyFile(renewed.keyFile, pki.keyFile);
    const report = await server.reload(config);
    assertEquals(report.bound, ["vmess-in"]);
    assertEquals(server.port(), port);
    await using after = await client(renewed);
    await echoThrough(after.port());
    await assertRejects(() => echoThrough(before.port(), 1024));
  },
);
