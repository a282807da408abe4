/**
 * A validated config written back as V2Ray JSON: merged, keys and values in V2Ray's spelling,
 * defaults filled in (stream settings as written, since their resolved form is not V2Ray JSON).
 * Loading the dump again gives the same config.
 */
import type { Config } from "./validate.ts";

type Json = unknown;

function isRange(v: Json): v is { from: number; to: number } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  const r = v as Record<string, unknown>;
  return keys.length === 2 && typeof r.from === "number" && typeof r.to === "number";
}

function range(r: { from: number; to: number }): number | string {
  return r.from === r.to ? r.from : `${r.from}-${r.to}`;
}

function isExperiments(
  v: Json,
): v is { authenticatedLength: boolean; noTerminationSignal: boolean } {
  if (typeof v !== "object" || v === null) return false;
  const keys = Object.keys(v).sort().join(",");
  return keys === "authenticatedLength,noTerminationSignal";
}

// Parsed shapes back to what V2Ray's JSON spells: port ranges, port lists, VMess experiments.
function write(v: Json): Json {
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every(isRange)) return v.map(range).join(",");
    return v.map(write);
  }
  if (isRange(v)) return range(v);
  if (isExperiments(v)) {
    const names = [
      ...(v.authenticatedLength ? ["AuthenticatedLength"] : []),
      ...(v.noTerminationSignal ? ["NoTerminationSignal"] : []),
    ];
    return names.join("|");
  }
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(
      Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, write(x)]),
    );
  }
  return v;
}

// An inbound or outbound with its resolved `stream` replaced by its streamSettings as written.
function withStream(entry: { stream: unknown }, written: Json): Json {
  const { stream: _, ...rest } = entry;
  const out = write(rest) as Record<string, Json>;
  if (written !== undefined) out.streamSettings = written;
  return out;
}

/** `config` as V2Ray JSON (an object ready for JSON.stringify). */
export function dumpConfig(config: Config): Record<string, Json> {
  const listen = config.statsListen;
  const out: Record<string, Json> = {
    log: write(config.log),
    inbounds: config.inbounds.map((ib, i) => withStream(ib, config.written.inbounds[i])),
    outbounds: config.outbounds.map((ob, i) => withStream(ob, config.written.outbounds[i])),
    routing: write(config.routing),
  };
  if (config.written.transport !== undefined) out.transport = config.written.transport;
  if (config.policy !== undefined) out.policy = write(config.policy);
  if (config.stats) {
    out.stats = listen === undefined ? {} : {
      listen: `${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${listen.port}`,
    };
  }
  return out;
}
