/** Prometheus text exposition (format 0.0.4) of metric families. */

/** One sample of a family. */
export interface Sample {
  /** Label names and values. */
  readonly labels: Readonly<Record<string, string>>;
  /** The value. */
  readonly value: number;
}

/** A metric family: its name, help line, type and samples. */
export interface MetricFamily {
  /** The metric name (`denoray_…`, or a standard one such as `process_resident_memory_bytes`). */
  readonly name: string;
  /** One line saying what it measures. */
  readonly help: string;
  /** counter or gauge. */
  readonly type: "counter" | "gauge";
  /** The samples. */
  readonly samples: readonly Sample[];
}

function escapeLabel(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** The text a Prometheus scrape reads. */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(`${f.name}${labels.length ? `{${labels.join(",")}}` : ""} ${s.value}`);
    }
  }
  return lines.join("\n") + "\n";
}
