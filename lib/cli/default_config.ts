/** The default config (config.json), embedded so a bundled or compiled binary runs without files. */
import defaultConfig from "../../config.json" with { type: "json" };

/** The parsed default config. */
export const DEFAULT_CONFIG: unknown = defaultConfig;
