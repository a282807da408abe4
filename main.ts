/** denoray's command-line entry. */
import { runCli } from "./lib/cli/program.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
