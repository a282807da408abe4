/**
 * The settings of V2Ray 4.34's TCP `header.type: "http"` with its defaults (from its config
 * builder, transport_authenticators.go): the fake request and response heads to send and expect.
 */

/** One header: a value is picked at random from `values` each time a head is built. */
export interface HttpHeaderField {
  /** The name as configured (written as is). */
  readonly name: string;
  /** Candidate values; none gives an empty value. */
  readonly values: readonly string[];
}

/** The fake request: what the client sends, and which paths the server accepts. */
export interface HttpRequestSettings {
  /** HTTP version after `HTTP/` (default "1.1"). */
  readonly version: string;
  /** Method (default "GET"). */
  readonly method: string;
  /** Paths: the client picks one; the server accepts exactly these (default ["/"]). */
  readonly paths: readonly string[];
  /** Header fields, in order. */
  readonly headers: readonly HttpHeaderField[];
}

/** The fake response the server sends. */
export interface HttpResponseSettings {
  /** HTTP version after `HTTP/` (default "1.1"). */
  readonly version: string;
  /** Status code text (default "200"). */
  readonly status: string;
  /** Reason phrase (default "OK"). */
  readonly reason: string;
  /** Header fields, in order; a Date is added when none is named Date. */
  readonly headers: readonly HttpHeaderField[];
}

/** Both heads of the TCP HTTP header. */
export interface HttpHeaderSettings {
  /** The request head. */
  readonly request: HttpRequestSettings;
  /** The response head. */
  readonly response: HttpResponseSettings;
}

/** 4.34's request headers when `headers` is absent or empty. */
export const DEFAULT_REQUEST_HEADERS: readonly HttpHeaderField[] = [
  { name: "Host", values: ["www.baidu.com", "www.bing.com"] },
  {
    name: "User-Agent",
    values: [
      "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.143 Safari/537.36",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 10_0_2 like Mac OS X) AppleWebKit/601.1 (KHTML, like Gecko) CriOS/53.0.2785.109 Mobile/14A456 Safari/601.1.46",
    ],
  },
  { name: "Accept-Encoding", values: ["gzip, deflate"] },
  { name: "Connection", values: ["keep-alive"] },
  { name: "Pragma", values: ["no-cache"] },
];

/** 4.34's response headers when `headers` is absent or empty. */
export const DEFAULT_RESPONSE_HEADERS: readonly HttpHeaderField[] = [
  { name: "Content-Type", values: ["application/octet-stream", "video/mpeg"] },
  { name: "Transfer-Encoding", values: ["chunked"] },
  { name: "Connection", values: ["keep-alive"] },
  { name: "Pragma", values: ["no-cache"] },
  { name: "Cache-Control", values: ["private", "no-cache"] },
];

/** The request part of the JSON, as parsed (StringLists already lists). */
export interface HttpRequestJson {
  /** `version`. */
  readonly version?: string;
  /** `method`. */
  readonly method?: string;
  /** `path`. */
  readonly path?: readonly string[];
  /** `headers`: name → values. */
  readonly headers?: Readonly<Record<string, readonly string[]>>;
}

/** The response part of the JSON, as parsed. */
export interface HttpResponseJson {
  /** `version`. */
  readonly version?: string;
  /** `status`. */
  readonly status?: string;
  /** `reason`. */
  readonly reason?: string;
  /** `headers`: name → values. */
  readonly headers?: Readonly<Record<string, readonly string[]>>;
}

// A non-empty map replaces the defaults, sorted by name in byte order as Go's sort.Strings.
function fields(
  map: Readonly<Record<string, readonly string[]>> | undefined,
  defaults: readonly HttpHeaderField[],
): readonly HttpHeaderField[] {
  const names = Object.keys(map ?? {});
  if (!map || names.length === 0) return defaults;
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => ({ name, values: [...map[name]] }));
}

/** Settings from `tcpSettings.header.request` / `.response`, with 4.34's defaults. */
export function httpHeaderSettings(
  request: HttpRequestJson = {},
  response: HttpResponseJson = {},
): HttpHeaderSettings {
  return {
    request: {
      version: request.version || "1.1",
      method: request.method || "GET",
      paths: request.path && request.path.length > 0 ? [...request.path] : ["/"],
      headers: fields(request.headers, DEFAULT_REQUEST_HEADERS),
    },
    response: {
      version: response.version || "1.1",
      // 4.34 fills a missing one of status and reason from 200 OK.
      status: response.status || "200",
      reason: response.reason || "OK",
      headers: fields(response.headers, DEFAULT_RESPONSE_HEADERS),
    },
  };
}
