/** Reading a V8 .cpuprofile (as `deno run --cpu-prof` writes it): self time per function. */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One function's share of the sampled time. */
export interface HotSpot {
  /** Function name and where it is (file:line, trimmed to the project or the runtime module). */
  readonly where: string;
  /** Self time in ms. */
  readonly selfMs: number;
  /** Share of all sampled time, idle included, in percent. */
  readonly percent: number;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || "(anonymous)";
  if (!url) return name;
  const file = url.replace(/^.*\/(lib|bench|main\.ts|ext|node|deno)\b/, "$1");
  return `${name} ${file}:${lineNumber + 1}`;
}

/** Self time per function of `profile`, highest first. */
export function hotSpots(profile: CpuProfile): HotSpot[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(id);
    const key = node ? label(node) : "(unknown)";
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .map(([where, selfMs]) => ({ where, selfMs, percent: (100 * selfMs) / total }))
    .sort((a, b) => b.selfMs - a.selfMs);
}
