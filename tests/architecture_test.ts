/**
 * The shape of lib/: each folder sits on a floor and imports only from its floor or below, folders
 * import each other without cycles, and the pure codec floor touches no Deno API.
 */
import { assertEquals } from "./assert.ts";

// Floor of every folder under lib/ (../shared/architecture.md; a new folder must be placed here).
const FLOORS: Record<string, number> = {
  core: 1,
  crypto: 1,
  log: 1,
  config: 2,
  routing: 2,
  vmess: 2,
  mux: 2,
  ws: 2,
  http: 2,
  geo: 2,
  ntp: 2,
  proxy_protocol: 2,
  http_header: 2,
  sniff: 2,
  attrs: 2,
  dns: 2,
  share: 2,
  net: 3,
  vmess_io: 3,
  mux_io: 3,
  dns_client: 3,
  engine: 4,
  stats: 4,
  inbound: 5,
  outbound: 5,
  app: 6,
  cli: 6,
};

// Floor-2 files that may do I/O at the edge (reading config files from disk).
const PURE_EXCEPTIONS = new Set(["config/load.ts", "config/asset_files.ts"]);

const LIB = new URL("../lib/", import.meta.url);

async function* sources(dir: URL, prefix = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) yield* sources(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`);
    else if (e.name.endsWith(".ts")) yield `${prefix}${e.name}`;
  }
}

async function folderGraph(): Promise<{ edges: Map<string, Set<string>>; files: string[] }> {
  const edges = new Map<string, Set<string>>();
  const files: string[] = [];
  for await (const file of sources(LIB)) {
    files.push(file);
    const from = file.split("/")[0];
    const text = await Deno.readTextFile(new URL(file, LIB));
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"\.\.\/([a-z_]+)\//g)) {
      if (m[1] === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(m[1]);
    }
  }
  return { edges, files };
}

Deno.test("architecture: every folder has a floor and imports only from its floor or below", async () => {
  const { edges, files } = await folderGraph();
  const folders = new Set(files.filter((f) => f.includes("/")).map((f) => f.split("/")[0]));
  assertEquals([...folders].filter((f) => !(f in FLOORS)), [], "folders without a floor");
  const climbing: string[] = [];
  for (const [from, tos] of edges) {
    for (const to of tos) {
      if ((FLOORS[to] ?? 0) > (FLOORS[from] ?? 0)) climbing.push(`${from} → ${to}`);
    }
  }
  assertEquals(climbing, [], "imports that climb a floor");
});

Deno.test("architecture: no import cycles between folders", async () => {
  const { edges } = await folderGraph();
  const cycles: string[] = [];
  const visit = (node: string, path: string[]) => {
    for (const next of edges.get(node) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) cycles.push([...path.slice(at), next].join(" → "));
      else visit(next, [...path, next]);
    }
  };
  for (const start of edges.keys()) visit(start, [start]);
  assertEquals([...new Set(cycles)], [], "folder cycles");
});

Deno.test("architecture: the pure floors (1 and 2, but for logging and config loading) use no Deno API", async () => {
  const { files } = await folderGraph();
  const impure: string[] = [];
  for (const file of files) {
    const folder = file.split("/")[0];
    if (FLOORS[folder] !== 2 || PURE_EXCEPTIONS.has(file)) continue;
    const text = await Deno.readTextFile(new URL(file, LIB));
    if (/\bDeno\.[a-zA-Z]/.test(text.replace(/^\s*(\/\/|\*).*$/gm, ""))) impure.push(file);
  }
  assertEquals(impure, [], "floor-2 files that use Deno APIs");
});
