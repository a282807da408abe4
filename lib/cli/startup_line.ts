/** What `denoray run` says about itself when it starts. */
import { cryptoStatus } from "../crypto/mod.ts";
import { VERSION } from "./version.ts";

/** The info line at start-up: denoray's and Deno's versions, the crypto backend, what it runs. */
export function startupLine(source: string): string {
  return `denoray ${VERSION} (Deno ${Deno.version.deno}, crypto ${cryptoStatus().name}) starting with ${source}`;
}
