/**
 * What denoray keeps across restarts (today: the VMess replay filters, so a first packet captured
 * before a restart cannot be replayed after it), in one JSON file written atomically.
 */
import type { Inbound } from "../core/handlers.ts";
import type { Logger } from "../log/mod.ts";

const FORMAT = 1;

/** The key of an inbound in the state file: its tag, or its place in the config. */
function keyOf(inbound: Inbound, index: number): string {
  return inbound.tag !== "" ? `tag:${inbound.tag}` : `index:${index}`;
}

/** Restores each inbound's state from `path`; a missing file is a first start, a bad one a warning. */
export async function restoreState(
  path: string,
  inbounds: readonly Inbound[],
  logger: Logger,
  nowSec: number,
): Promise<void> {
  let data: unknown;
  try {
    data = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      logger.warning(`state: cannot read ${path}: ${(e as Error).message}; starting without it`);
    }
    return;
  }
  const o = data as { format?: unknown; inbounds?: Record<string, unknown> };
  if (o?.format !== FORMAT || typeof o.inbounds !== "object" || o.inbounds === null) {
    logger.warning(`state: ${path} is not a denoray state file of format ${FORMAT}; ignored`);
    return;
  }
  for (const [i, inbound] of inbounds.entries()) {
    const snapshot = o.inbounds[keyOf(inbound, i)];
    if (snapshot !== undefined) inbound.persistent?.restore(snapshot, nowSec);
  }
  logger.info(`state: restored from ${path}`);
}

/** Writes every inbound's state to `path` (through a temporary file and a rename). */
export async function saveState(path: string, inbounds: readonly Inbound[]): Promise<void> {
  const out: Record<string, unknown> = {};
  for (const [i, inbound] of inbounds.entries()) {
    if (inbound.persistent) out[keyOf(inbound, i)] = inbound.persistent.save();
  }
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify({ format: FORMAT, inbounds: out }));
  await Deno.rename(tmp, path);
}

/** A number that changes whenever some inbound has new state to save. */
export function stateVersion(inbounds: readonly Inbound[]): number {
  return inbounds.reduce((n, i) => n + (i.persistent?.version ?? 0), 0);
}
