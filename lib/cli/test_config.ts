/** `denoray test`: validate config files without starting anything. */
import { ConfigError, formatIssue, loadConfigFiles } from "../config/mod.ts";
import { readTlsFiles } from "../app/tls_files.ts";

/** Validates `files`; prints warnings and "Configuration OK." or every error; returns the exit code. */
export async function testCommand(files: readonly string[]): Promise<number> {
  try {
    const { config, warnings } = await loadConfigFiles(files);
    await readTlsFiles(config, files.length === 1 ? files[0] : undefined);
    for (const w of warnings) console.error(`warning: ${formatIssue(w)}`);
    console.log("Configuration OK.");
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const w of e.issues.filter((i) => i.severity === "warning")) {
      console.error(`warning: ${formatIssue(w)}`);
    }
    console.error(e.message);
    return 1;
  }
}
