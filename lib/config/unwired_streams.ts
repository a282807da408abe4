/**
 * TEMPORARY (issue 9): `test` accepts WebSocket, TLS, the TCP HTTP header and PROXY protocol, but
 * until their stream layers are wired `run` must refuse them rather than serve plain TCP. Delete
 * this file and its one call in lib/cli/run.ts when the layers land.
 */
import type { Config } from "./validate.ts";
import { configError, type ConfigIssue, type JsonPath } from "./issues.ts";
import type { StreamSettings } from "./stream_settings.ts";

const LATER = "is accepted by test but run refuses it until the transport lands";

function streamIssues(s: StreamSettings, path: JsonPath): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (s.network === "ws") out.push(configError([...path, "network"], `"ws" (WebSocket) ${LATER}`));
  if (s.network === "tcp" && s.httpHeader) {
    out.push(configError([...path, "tcpSettings", "header", "type"], `"http" ${LATER}`));
  }
  if (s.tls) out.push(configError([...path, "security"], `"tls" ${LATER}`));
  if (s.acceptProxyProtocol) {
    out.push(configError(path, `acceptProxyProtocol (PROXY protocol) ${LATER}`));
  }
  return out;
}

/** Errors for every inbound and outbound whose streamSettings are more than plain TCP. */
export function unwiredStreamIssues(config: Config): ConfigIssue[] {
  return [
    ...config.inbounds.flatMap((ib, i) =>
      streamIssues(ib.stream, ["inbounds", i, "streamSettings"])
    ),
    ...config.outbounds.flatMap((ob, i) =>
      streamIssues(ob.stream, ["outbounds", i, "streamSettings"])
    ),
  ];
}
