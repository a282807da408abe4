/** denoray's own version (read from deno.json in one place: lib/app/version.ts). */
export { VERSION } from "../app/version.ts";
