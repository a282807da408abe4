/** The command line: run, test, uuid, version (commander). */
import { Command } from "commander";
import { ConfigError } from "../config/mod.ts";
import { CryptoError, describeCrypto, initCrypto } from "../crypto/mod.ts";
import { VERSION } from "./version.ts";
import { runCommand } from "./run.ts";
import { testCommand } from "./test_config.ts";

const collect = (value: string, previous: string[]) => [...previous, value];

/** Parses `args` and runs the command; resolves with the process exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  let code = 0;
  const program = new Command("denoray")
    .description("A VMess edge proxy, byte-compatible with V2Ray 4.x")
    .showHelpAfterError()
    .addHelpText("after", "\nExample:\n  denoray run -c config.json")
    .option("--crypto <backend>", "crypto backend: auto, openssl or node (env DENORAY_CRYPTO)")
    .hook("preAction", async () => {
      await initCrypto(program.opts().crypto);
    });
  program.command("run")
    .description("start every inbound and outbound of the config; stop on SIGINT/SIGTERM")
    .option(
      "-c, --config <file>",
      "config file (repeatable: later files override earlier ones key by key)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      "\nExamples:\n  denoray run -c config.json\n  denoray run -c base.json -c users.json",
    )
    .action(async (opts: { config: string[] }) => {
      code = await runCommand(opts.config);
    });
  program.command("test")
    .description("validate config files without starting anything")
    .option("-c, --config <file>", "config file (repeatable)", collect, [])
    .addHelpText("after", "\nExample:\n  denoray test -c config.json")
    .action(async (opts: { config: string[] }) => {
      code = await testCommand(opts.config.length > 0 ? opts.config : ["config.json"]);
    });
  program.command("uuid")
    .description("print a random UUID (v4) for a VMess user id")
    .addHelpText("after", "\nExample:\n  denoray uuid")
    .action(() => console.log(crypto.randomUUID()));
  program.command("version")
    .description("print denoray's and Deno's versions")
    .addHelpText("after", "\nExample:\n  denoray version")
    .action(() =>
      console.log(
        `denoray ${VERSION} (Deno ${Deno.version.deno}, V8 ${Deno.version.v8})\ncrypto: ${describeCrypto()}`,
      )
    );
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (e) {
    // Config problems and start-up failures (a port in use) are reports, not crashes.
    const known = e instanceof ConfigError || e instanceof CryptoError;
    console.error(known ? (e as Error).message : `denoray: ${(e as Error).message ?? e}`);
    return 1;
  }
  return code;
}
