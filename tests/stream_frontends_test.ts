/**
 * denoray behind the real front ends it is deployed behind: nginx ending TLS and proxying the
 * WebSocket to denoray on loopback (X-Forwarded-For names the client), and haproxy sending
 * PROXY protocol v2 before TLS + WebSocket. The clients are v2ray 4.34 and denoray; the source
 * the front end reports reaches routing (a rule lets only that source through) and the access log.
 */
import { assert } from "./assert.ts";
import { makeTestPki, type TestPki } from "./helpers/certs.ts";
import { EchoServer, freePort, waitForPort } from "./helpers/net.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { peerTest } from "./helpers/peer.ts";
import { V2Ray } from "./helpers/v2ray.ts";
import {
  clientStream,
  echoThrough,
  serverStream,
  TRANSPORT_ID,
  vmessClientConfig,
} from "./helpers/transport.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";

/** A front-end process started on a config written to a temp directory. */
class FrontEnd implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #dir: string;
  readonly #output: Promise<string>;

  private constructor(child: Deno.ChildProcess, dir: string) {
    this.#child = child;
    this.#dir = dir;
    this.#output = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]).then(([a, b]) => a + b);
  }

  /** Runs `cmd args` (paths under `dir`) and waits until `port` accepts. */
  static async start(cmd: string, args: string[], dir: string, port: number): Promise<FrontEnd> {
    const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .spawn();
    const f = new FrontEnd(child, dir);
    try {
      await waitForPort(port);
    } catch (e) {
      await f[Symbol.asyncDispose]();
      throw new Error(`${cmd} did not start: ${(e as Error).message}\n${await f.#output}`);
    }
    return f;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // SIGTERM, not SIGKILL: nginx's master then stops its workers, which hold our pipes.
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await this.#child.status;
    await this.#output;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/** nginx on 127.0.0.1:port ending TLS with `pki`'s leaf and proxying /ray to `upstream`. */
async function nginx(port: number, upstream: number, pki: TestPki): Promise<FrontEnd> {
  const dir = await Deno.makeTempDir({ prefix: "denoray-nginx-" });
  const conf = `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    server_name test.local;
    ssl_certificate ${pki.certFile};
    ssl_certificate_key ${pki.keyFile};
    location /ray {
      proxy_pass http://127.0.0.1:${upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_read_timeout 300s;
    }
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
  return await FrontEnd.start(
    "nginx",
    ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`, "-g", "daemon off;"],
    dir,
    port,
  );
}

/** haproxy on 127.0.0.1:port passing TCP to `upstream` with PROXY v2, dialling from 127.0.0.3. */
async function haproxy(port: number, upstream: number): Promise<FrontEnd> {
  const dir = await Deno.makeTempDir({ prefix: "denoray-haproxy-" });
  const conf = `
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server denoray 127.0.0.1:${upstream} send-proxy-v2 source 127.0.0.3
`;
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, conf);
  return await FrontEnd.start("haproxy", ["-f", `${dir}/haproxy.cfg`, "-db"], dir, port);
}

/**
 * A denoray VMess server whose freedom outbound only serves `source` (anything else goes to a
 * blackhole), logging access lines into `lines`.
 */
function gatedServer(stream: unknown, source: string, trusted?: string[]) {
  return {
    inbounds: [{
      tag: "vmess-in",
      listen: "127.0.0.1",
      port: 0,
      protocol: "vmess",
      settings: { clients: [{ id: TRANSPORT_ID, alterId: 0, email: "u@test" }] },
      streamSettings: trusted
        ? { ...stream as object, sockopt: { trustedXForwardedFor: trusted } }
        : stream,
    }],
    outbounds: [{ tag: "nowhere", protocol: "blackhole" }, { tag: "direct", protocol: "freedom" }],
    routing: { rules: [{ type: "field", source: [source], outboundTag: "direct" }] },
  };
}

function accessLogger(lines: string[]): Logger {
  return new Logger("none", { writeLine() {} }, memorySink(lines));
}

peerTest(
  ["nginx", "v2ray", "openssl"],
  "front end: nginx ends TLS and proxies the WebSocket; its X-Forwarded-For names the client",
  async () => {
    await using pki = await makeTestPki();
    await using echo = new EchoServer();
    const lines: string[] = [];
    // nginx (the recipe in docs/transports.md) replaces X-Forwarded-For with the client's address, so the
    // clients' own claim of 203.0.113.50 is gone; port 0 in the access log marks a source that
    // came from the header.
    await using server = await RunningInstance.start(
      gatedServer({ network: "ws", wsSettings: { path: "/ray" } }, "127.0.0.1", ["127.0.0.1"]),
      accessLogger(lines),
    );
    const front = freePort();
    await using _nginx = await nginx(front, server.port(), pki);
    const claim = { headers: { "X-Forwarded-For": "203.0.113.50" } };
    // Our client through nginx.
    await using ours = await RunningInstance.start(
      vmessClientConfig(0, echo.port, front, clientStream("ws+tls", pki, "/ray", claim)),
    );
    await echoThrough(ours.port(), 1 << 20, 21);
    // v2ray 4.34's client through nginx.
    const v2port = freePort();
    await using _v2 = await V2Ray.start(
      vmessClientConfig(v2port, echo.port, front, clientStream("ws+tls", pki, "/ray", claim)),
      [v2port],
    );
    await echoThrough(v2port, 1 << 20, 22);
    assert(
      lines.filter((l) => l.includes("from tcp:127.0.0.1:0 accepted")).length >= 2,
      lines.join("\n"),
    );
    assert(!lines.some((l) => l.includes("203.0.113.50")), lines.join("\n"));
  },
);

peerTest(
  ["haproxy", "v2ray", "openssl"],
  "front end: haproxy sends PROXY v2 before TLS + WebSocket; its source address is the client's",
  async () => {
    await using pki = await makeTestPki();
    await using echo = new EchoServer();
    const lines: string[] = [];
    const stream = serverStream("ws+tls", pki) as { wsSettings: Record<string, unknown> };
    stream.wsSettings = { ...stream.wsSettings, acceptProxyProtocol: true };
    // haproxy dials denoray from 127.0.0.3: only the PROXY header says 127.0.0.1.
    await using server = await RunningInstance.start(
      gatedServer(stream, "127.0.0.1"),
      accessLogger(lines),
    );
    const front = freePort();
    await using _haproxy = await haproxy(front, server.port());
    await using ours = await RunningInstance.start(
      vmessClientConfig(0, echo.port, front, clientStream("ws+tls", pki)),
    );
    await echoThrough(ours.port(), 1 << 20, 31);
    const v2port = freePort();
    await using _v2 = await V2Ray.start(
      vmessClientConfig(v2port, echo.port, front, clientStream("ws+tls", pki)),
      [v2port],
    );
    await echoThrough(v2port, 1 << 20, 32);
    assert(
      lines.filter((l) => /from tcp:127\.0\.0\.1:\d+ accepted/.test(l)).length >= 2,
      lines.join("\n"),
    );
  },
);
