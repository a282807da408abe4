import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { readTlsFiles } from "../lib/app/tls_files.ts";
import {
  ConfigError,
  formatIssue,
  loadConfigFiles,
  type StreamSettings,
  takeXrayEarlyData,
  validateConfig,
} from "../lib/config/mod.ts";
import { runToEnd } from "./helpers/process.ts";

const fixture = (name: string) => new URL(`./fixtures/config/${name}`, import.meta.url).pathname;

async function issuesOf(name: string): Promise<{ errors: string[]; warnings: string[] }> {
  try {
    const { warnings } = await loadConfigFiles([fixture(name)]);
    return { errors: [], warnings: warnings.map(formatIssue) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const f = (s: string) => e.issues.filter((i) => i.severity === s).map(formatIssue);
    return { errors: f("error"), warnings: f("warning") };
  }
}

function includesAll(lines: string[], wants: string[]): void {
  for (const w of wants) {
    assert(
      lines.some((l) => l.includes(w)),
      `missing ${JSON.stringify(w)} in\n${lines.join("\n")}`,
    );
  }
}

Deno.test("stream settings: a ws+tls server resolves (aliases in any case, path normalised, PROXY on)", async () => {
  const { config, warnings } = await loadConfigFiles([fixture("stream_ws_tls_server.json")]);
  assertEquals(warnings, []);
  const want: StreamSettings = {
    network: "ws",
    path: "/ray",
    headers: [],
    xrayEarlyData: 0,
    maxEarlyData: 0,
    earlyDataHeaderName: "",
    tls: {
      serverName: null,
      alpn: null,
      allowInsecure: false,
      disableSystemRoot: false,
      enableSessionResumption: false,
      certificates: [
        {
          certificate: { file: "/etc/denoray/fullchain.pem" },
          key: { file: "/etc/denoray/key.pem" },
          usage: "encipherment",
        },
        {
          certificate: { inline: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" },
          key: null,
          usage: "verify",
        },
      ],
    },
    acceptProxyProtocol: true,
    sockopt: { mark: 0, tcpFastOpen: null, trustedXForwardedFor: null },
  };
  assertEquals(config.inbounds[0].stream, want);
  assertEquals(config.outbounds[0].stream.network, "tcp");
  assertEquals(config.outbounds[0].stream.tls, null);
});

Deno.test("stream settings: a ws client: old Path key, Xray's ?ed taken out, headers in order, TLS client fields", async () => {
  const { config } = await loadConfigFiles([fixture("stream_ws_client.json")]);
  const s = config.outbounds[0].stream;
  assert(s.network === "ws");
  assertEquals(s.path, "/ray?a=1&b=2");
  assertEquals(s.xrayEarlyData, 2048);
  assertEquals(s.headers, [["Host", "real.example.com"], ["X-Custom", "1"]]);
  assertEquals(s.tls?.serverName, "real.example.com");
  assertEquals(s.tls?.alpn, ["http/1.1"]);
  assertEquals(s.tls?.allowInsecure, true);
  assertEquals(s.acceptProxyProtocol, false);
});

Deno.test("stream settings: Xray's ed parsing", () => {
  assertEquals(takeXrayEarlyData("/ws?ed=2560"), { path: "/ws", ed: 2560 });
  assertEquals(takeXrayEarlyData("/ws?ed=x"), { path: "/ws", ed: 0 });
  assertEquals(takeXrayEarlyData("/ws?x=1"), { path: "/ws?x=1", ed: 0 });
  assertEquals(takeXrayEarlyData("/ws"), { path: "/ws", ed: 0 });
});

Deno.test("stream settings: what we do not implement is an error naming its JSON path", async () => {
  const { errors } = await issuesOf("stream_refused.json");
  includesAll(errors, [
    'inbounds[0].streamSettings.network: "kcp": mKCP is not supported',
    'inbounds[1].streamSettings.network: "quic": QUIC is not supported',
    'inbounds[2].streamSettings.network: "ds": domain sockets are not supported',
    'inbounds[3].streamSettings.network: "h2": HTTP/2 is not supported yet',
    'inbounds[4].streamSettings.network: "grpc" is not a transport of V2Ray 4.34',
    'inbounds[5].streamSettings.sockopt.tproxy: "redirect" (transparent proxy) is not supported',
    'inbounds[6].streamSettings.tlsSettings.certificates[0].usage: "issue"',
    "inbounds[7].streamSettings.wsSettings.useBrowserForwarding: true (browser forwarding) is not supported",
    "inbounds[8].streamSettings.tlsSettings.certificates: a TLS inbound needs a certificate with its key",
    'inbounds[9].streamSettings.tcpSettings.header.type: "srtp" is not a TCP header type',
    'inbounds[10].streamSettings.network: "foo" is not a known transport',
    'inbounds[11].streamSettings.security: "xtls" is not supported',
    "outbounds[0].streamSettings.wsSettings.headers.upgrade: is set by the WebSocket handshake itself",
    "outbounds[1].streamSettings.tlsSettings.certificates[0]: needs certificateFile or certificate",
  ]);
});

Deno.test("stream settings: the global transport is the fallback, settings of the stream win whole", async () => {
  const { config } = await loadConfigFiles([fixture("stream_global_transport.json")]);
  const [a, b, c] = config.inbounds.map((i) => i.stream);
  assert(a.network === "ws" && b.network === "ws" && c.network === "tcp");
  assertEquals(a.path, "/global");
  assertEquals(b.path, "/own");
  assertEquals(c.httpHeader?.request.paths, ["/a", "/b"]);
  // 4.34's defaults fill what the header leaves out.
  assertEquals(c.httpHeader?.request.method, "GET");
  assertEquals(c.httpHeader?.response.status, "200");
  assertEquals(c.httpHeader?.request.headers.map((h) => h.name), [
    "Host",
    "User-Agent",
    "Accept-Encoding",
    "Connection",
    "Pragma",
  ]);
});

Deno.test("stream settings: keys we cannot act on are warnings with their paths", async () => {
  const { errors, warnings } = await issuesOf("stream_warnings.json");
  assertEquals(errors, []);
  includesAll(warnings, [
    'inbounds[0].streamSettings.security: "auto" means no TLS',
    'inbounds[0].streamSettings.tlsSettings: has no effect without security "tls"',
    "inbounds[0].streamSettings.wsSettings: has no effect: network is tcp",
    "inbounds[0].streamSettings.sockopt.mark: is accepted but not acted on",
    "inbounds[0].streamSettings.sockopt.tcpFastOpen: is accepted but not acted on",
    'inbounds[0].streamSettings.sockopt.tproxy: "sometimes" is not a mode',
    "outbounds[0].streamSettings.tcpSettings.acceptProxyProtocol: has no effect on an outbound",
    "outbounds[1].streamSettings.wsSettings.earlyDataHeaderName: has no effect without maxEarlyData",
    "outbounds[0].streamSettings.tlsSettings.enableSessionResumption: is accepted but not acted on",
    'outbounds[0].streamSettings.tlsSettings.certificates[0].usage: "signing" is not a usage',
  ]);
});

Deno.test("stream settings: wrong types and unknown keys under streamSettings and transport", () => {
  const r = validateConfig({
    transport: { wsSettings: { path: 1 }, grpcSettings: {} },
    outbounds: [{
      protocol: "freedom",
      streamSettings: {
        tlsSettings: { alpn: 5, fingerprint: "chrome" },
        wsSettings: { maxEarlyData: -1 },
      },
    }],
  });
  const lines = r.issues.map(formatIssue);
  includesAll(lines, [
    "transport.wsSettings.path: expected string, got a number",
    "outbounds[0].streamSettings.tlsSettings.alpn: 5 is not a valid value",
    "outbounds[0].streamSettings.wsSettings.maxEarlyData: must be at least 0, got -1",
  ]);
  // Unknown keys are warnings once the shape is right.
  const ok = validateConfig({
    transport: { grpcSettings: {} },
    outbounds: [{
      protocol: "freedom",
      streamSettings: { tlsSettings: { fingerprint: "chrome" } },
    }],
  });
  includesAll(ok.issues.map(formatIssue), [
    "transport.grpcSettings: unknown key, ignored",
    "outbounds[0].streamSettings.tlsSettings.fingerprint: unknown key, ignored",
  ]);
});

Deno.test("stream settings: PROXY protocol from tcpSettings, wsSettings or sockopt, on inbounds only", () => {
  const proxy = (streamSettings: unknown) =>
    validateConfig({
      inbounds: [{ port: 1, protocol: "socks", streamSettings }],
      outbounds: [{ protocol: "freedom" }],
    }).config?.inbounds[0].stream.acceptProxyProtocol;
  assertEquals(proxy({ tcpSettings: { acceptProxyProtocol: true } }), true);
  assertEquals(proxy({ sockopt: { acceptProxyProtocol: true } }), true);
  assertEquals(proxy({ network: "ws", wsSettings: { acceptProxyProtocol: true } }), true);
  // The flag of the transport not in use does nothing (a warning says so).
  assertEquals(proxy({ network: "ws", tcpSettings: { acceptProxyProtocol: true } }), false);
  assertEquals(proxy({}), false);
});

Deno.test("stream settings: sockopt.trustedXForwardedFor lists IPs or CIDRs; it acts on WebSocket inbounds", () => {
  const r = validateConfig({
    inbounds: [
      {
        port: 1,
        protocol: "vmess",
        settings: { clients: [] },
        streamSettings: {
          network: "ws",
          sockopt: { trustedXForwardedFor: ["127.0.0.1", "10.0.0.0/8", "::1"] },
        },
      },
      {
        port: 2,
        protocol: "vmess",
        settings: { clients: [] },
        streamSettings: { network: "ws", sockopt: { trustedXForwardedFor: "nginx" } },
      },
    ],
    outbounds: [{
      protocol: "freedom",
      streamSettings: { sockopt: { trustedXForwardedFor: ["127.0.0.1"] } },
    }],
  });
  includesAll(r.issues.map(formatIssue), [
    'inbounds[1].streamSettings.sockopt.trustedXForwardedFor[0]: "nginx" is not an IP address or CIDR',
    "outbounds[0].streamSettings.sockopt.trustedXForwardedFor: has effect only on a WebSocket inbound",
  ]);
  const ok = validateConfig({
    inbounds: [{
      port: 1,
      protocol: "vmess",
      settings: { clients: [] },
      streamSettings: { network: "ws", sockopt: { trustedXForwardedFor: "127.0.0.1, ::1" } },
    }],
    outbounds: [{ protocol: "freedom" }],
  });
  assertEquals(ok.config?.inbounds[0].stream.sockopt.trustedXForwardedFor, ["127.0.0.1", "::1"]);
});

Deno.test("stream settings: test and run read certificate files; a missing one is an error naming its path", async () => {
  const main = ["run", "-A", "--unstable-net", "main.ts"];
  const where =
    "inbounds[0].streamSettings.tlsSettings.certificates[0].certificateFile: cannot read /etc/denoray/fullchain.pem";
  for (const command of ["test", "run"]) {
    const r = await runToEnd(Deno.execPath(), [
      ...main,
      command,
      "-c",
      fixture("stream_ws_tls_server.json"),
    ]);
    assertEquals(r.code, 1, command);
    assertStringIncludes(r.stderr, where);
    assertStringIncludes(r.stderr, "keyFile: cannot read /etc/denoray/key.pem");
  }
});

Deno.test("stream settings: certificate files become their PEM text; a file that is not PEM is an error at its path", async () => {
  const config = (file: string) =>
    validateConfig({
      inbounds: [{
        port: 1,
        protocol: "vmess",
        settings: { clients: [] },
        streamSettings: {
          security: "tls",
          tlsSettings: { certificates: [{ certificateFile: file, keyFile: "key.pem" }] },
        },
      }],
      outbounds: [{ protocol: "freedom" }],
    }).config!;
  const files: Record<string, string> = {
    "cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "key.pem": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
    "junk.pem": "hello",
  };
  const read = (f: string) =>
    f in files ? Promise.resolve(files[f]) : Promise.reject(new Deno.errors.NotFound(f));
  const done = await readTlsFiles(config("cert.pem"), undefined, read);
  assertEquals(done.inbounds[0].stream.tls?.certificates[0], {
    certificate: { inline: files["cert.pem"] },
    key: { inline: files["key.pem"] },
    usage: "encipherment",
  });
  const e = await assertRejects(
    () => readTlsFiles(config("junk.pem"), "c.json", read),
    ConfigError,
  );
  assertStringIncludes(
    e.message,
    "c.json: inbounds[0].streamSettings.tlsSettings.certificates[0].certificateFile: junk.pem is not a PEM file",
  );
  const gone = await assertRejects(() => readTlsFiles(config("nope.pem"), undefined, read));
  assertStringIncludes(gone.message, "certificateFile: cannot read nope.pem: no such file");
});
