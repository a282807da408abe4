/** What `denoray run` says about itself when it starts. */
import { VERSION } from "./version.ts";

/** The info line at start-up: denoray's and Deno's versions, then what it runs. */
export function startupLine(source: string): string {
  // CRYPTO BACKEND GOES HERE: lib/crypto is getting a backend name (openssl or node) on another
  // branch; once that is on main, this line says `, crypto ${backend}` after Deno's version.
  return `denoray ${VERSION} (Deno ${Deno.version.deno}) starting with ${source}`;
}
