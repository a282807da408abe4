/** What the metrics endpoint reports at each scrape, gathered from the running parts. */
import type { Inbound } from "../core/handlers.ts";
import type { Tally } from "../core/tally.ts";
import type { ActiveCounts } from "../engine/active.ts";
import type { ConnectionGate } from "../net/mod.ts";
import type { MetricFamily, TrafficStats } from "../stats/mod.ts";

/** The running parts metrics are read from. */
export interface MetricSources {
  /** Traffic counters, if the config enables them. */
  readonly stats?: TrafficStats;
  /** The running inbounds. */
  readonly inbounds: readonly Inbound[];
  /** Inbounds a reload removed or changed, whose connections have not all ended yet. */
  readonly retired?: readonly Inbound[];
  /** Open connections and flows per outbound. */
  readonly outboundActive: ActiveCounts;
  /** Handshake results by inbound. */
  readonly handshakes: Tally;
  /** The connection gate. */
  readonly gate: ConnectionGate;
  /** Build facts: denoray's version, Deno's, the crypto backend. */
  readonly build: { readonly version: string; readonly deno: string; readonly crypto: string };
  /** Resident memory of the process, bytes. */
  readonly rss: () => number;
}

// Per inbound tag (`#n` untagged), with what retired inbounds of that tag still hold added in.
function inboundSamples(src: MetricSources) {
  const byLabel = new Map<string, number>();
  const add = (label: string, n: number) => byLabel.set(label, (byLabel.get(label) ?? 0) + n);
  src.inbounds.forEach((i, n) => add(i.tag || `#${n}`, i.active()));
  for (const i of src.retired ?? []) add(i.tag || "#retired", i.active());
  return [...byLabel].map(([inbound, value]) => ({ labels: { inbound }, value }));
}

/** Every metric family, read now. */
export function collectMetrics(src: MetricSources): MetricFamily[] {
  const g = src.gate;
  const gauge = (name: string, help: string, value: number): MetricFamily => ({
    name,
    help,
    type: "gauge",
    samples: [{ labels: {}, value }],
  });
  const counter = (name: string, help: string, value: number): MetricFamily => ({
    name,
    help,
    type: "counter",
    samples: [{ labels: {}, value }],
  });
  return [
    {
      name: "denoray_build_info",
      help: "Always 1; the labels say which build runs.",
      type: "gauge",
      samples: [{ labels: src.build, value: 1 }],
    },
    gauge("process_resident_memory_bytes", "Resident memory of the process.", src.rss()),
    {
      name: "denoray_inbound_connections",
      help: "Connections (and UDP flows) open now, per inbound.",
      type: "gauge",
      samples: inboundSamples(src),
    },
    {
      name: "denoray_outbound_connections",
      help: "Connections and UDP flows open now, per outbound.",
      type: "gauge",
      samples: src.outboundActive.entries().map(([tag, value]) => ({
        labels: { outbound: tag },
        value,
      })),
    },
    {
      name: "denoray_handshakes_total",
      help: "VMess handshakes by inbound and result (ok, bad-auth, clock, replay, bad-header, " +
        "refused, incomplete).",
      type: "counter",
      samples: src.handshakes.entries().map(([[inbound, result], value]) => ({
        labels: { inbound, result },
        value,
      })),
    },
    gauge(
      "denoray_handshaking_connections",
      "Inbound connections still in their handshake.",
      g.handshaking,
    ),
    gauge(
      "denoray_connection_descriptors",
      "Descriptors held by inbound connections (one handshaking, two established).",
      g.inUse,
    ),
    gauge(
      "denoray_connection_descriptor_budget",
      "Descriptors inbound connections may hold (the process limit less a reserve).",
      g.limits.descriptors,
    ),
    counter(
      "denoray_connections_refused_total",
      "Connections closed at once for want of descriptors.",
      g.totals.refused,
    ),
    counter(
      "denoray_connections_shed_total",
      "Handshaking connections closed to make room for newer ones.",
      g.totals.shed,
    ),
    counter(
      "denoray_accept_errors_total",
      "accept() failures for want of descriptors or memory.",
      g.totals.acceptErrors,
    ),
    ...(src.stats ? [src.stats.family()] : []),
  ];
}
