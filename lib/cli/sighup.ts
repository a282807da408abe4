/** SIGHUP (systemd's ExecReload) must not end the process before reload exists. */
import type { Logger } from "../log/mod.ts";

/**
 * Listens for SIGHUP and logs that reload is not implemented yet, instead of Deno's default of
 * exiting; returns the function that removes the listener. Reload itself replaces this.
 */
export function ignoreSighup(logger: Logger): () => void {
  // Windows has no SIGHUP, and Deno throws when asked to listen for it there.
  if (Deno.build.os === "windows") return () => {};
  const handler = () => logger.warning("SIGHUP received: reload not implemented yet");
  Deno.addSignalListener("SIGHUP", handler);
  return () => Deno.removeSignalListener("SIGHUP", handler);
}
