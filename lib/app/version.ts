/** denoray's own version, read from deno.json so it is written in one place. */
import denoJson from "../../deno.json" with { type: "json" };

/** The denoray version. */
export const VERSION: string = denoJson.version;
