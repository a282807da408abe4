/**
 * The command line: run, test, dump, uuid, version, help; and V2Ray 4's own spelling with no
 * command (`-config x.json`, `-test -config x.json`, `-version`). Flags are read as Go's flag
 * package reads them, and as GNU tools do (see flags.ts). A command is one entry of COMMANDS.
 */
import { ConfigError, type LoadOptions, MERGE_MODES, type MergeMode } from "../config/mod.ts";
import { CryptoError, describeCrypto, initCrypto } from "../crypto/mod.ts";
import { VERSION } from "./version.ts";
import { runCommand } from "./run.ts";
import { dumpCommand, testCommand } from "./test_config.ts";
import { flagHelp, type FlagSpec, type ParsedFlags, parseFlags, UsageError } from "./flags.ts";
import { configFiles } from "./config_files.ts";

/** The crypto backend, for every command that uses crypto. */
const CRYPTO_FLAG: FlagSpec = {
  names: ["crypto"],
  kind: "string",
  arg: "BACKEND",
  help: "crypto backend: auto (openssl when it loads, else node), openssl or node " +
    "(default $DENORAY_CRYPTO, else auto)",
};

/** Flags of every command that reads a config. */
export const CONFIG_FLAGS: readonly FlagSpec[] = [
  CRYPTO_FLAG,
  {
    names: ["config", "c"],
    kind: "list",
    arg: "FILE",
    help: 'config file, repeatable (later files override earlier ones); "stdin:" or "-": stdin',
  },
  {
    names: ["confdir"],
    kind: "string",
    arg: "DIR",
    help: "also every *.json in DIR, by name, after the -c files (default $V2RAY_LOCATION_CONFDIR)",
  },
  {
    names: ["merge"],
    kind: "string",
    arg: "MODE",
    help: 'how files merge: "v2ray" (default, as V2Ray 4.34) or "deep" (key by key, by tag)',
  },
  { names: ["strict"], kind: "bool", help: "treat warnings as errors" },
  { names: ["format"], kind: "string", arg: "json", help: 'config format: "json" only' },
];

/** One command. */
interface Command {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
  readonly examples: readonly string[];
  run(flags: ParsedFlags): Promise<number>;
}

function list(flags: ParsedFlags, name: string): readonly string[] {
  return (flags.values.get(name) as readonly string[] | undefined) ?? [];
}

function str(flags: ParsedFlags, name: string): string | undefined {
  return flags.values.get(name) as string | undefined;
}

function loadOptions(flags: ParsedFlags): LoadOptions {
  const merge = str(flags, "merge") ?? "v2ray";
  if (!(MERGE_MODES as readonly string[]).includes(merge)) {
    throw new UsageError(`--merge ${merge}: use ${MERGE_MODES.join(" or ")}`);
  }
  const format = str(flags, "format") ?? "json";
  if (format.toLowerCase() !== "json") {
    throw new UsageError(`--format ${format}: only json is supported (no protobuf configs)`);
  }
  return { strict: flags.values.get("strict") === true, merge: merge as MergeMode };
}

function files(flags: ParsedFlags, fallback: readonly string[]): string[] {
  return configFiles(list(flags, "config"), str(flags, "confdir"), fallback);
}

function noPositionals(flags: ParsedFlags): void {
  if (flags.positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(flags.positionals[0])}`);
  }
}

function printVersion(): number {
  console.log(
    `denoray ${VERSION} (Deno ${Deno.version.deno}, V8 ${Deno.version.v8})\ncrypto: ${describeCrypto()}`,
  );
  return 0;
}

const COMMANDS: readonly Command[] = [
  {
    name: "run",
    summary:
      "start every inbound and outbound of the config; reload on SIGHUP; stop on SIGINT/SIGTERM",
    flags: CONFIG_FLAGS,
    examples: [
      "denoray run -c config.json",
      "denoray run -c base.json -c users.json",
      "denoray run --confdir /etc/denoray/conf.d",
      "denoray -config config.json            (V2Ray's spelling)",
      "denoray run                            (the embedded demo config)",
    ],
    run(flags) {
      noPositionals(flags);
      return runCommand(files(flags, []), loadOptions(flags), () => files(flags, []));
    },
  },
  {
    name: "test",
    summary: "validate config files (and that log files are writable) without starting anything",
    flags: CONFIG_FLAGS,
    examples: [
      "denoray test -c config.json",
      "denoray test --strict -c base.json -c users.json",
      "denoray -test -config config.json      (V2Ray's spelling)",
      "cat config.json | denoray test -c stdin:",
    ],
    run(flags) {
      noPositionals(flags);
      return testCommand(files(flags, ["config.json"]), loadOptions(flags));
    },
  },
  {
    name: "dump",
    summary: "print the merged config, every default filled in, as V2Ray JSON",
    flags: CONFIG_FLAGS,
    examples: ["denoray dump -c config.json", "denoray dump -c base.json -c users.json"],
    run(flags) {
      noPositionals(flags);
      return dumpCommand(files(flags, ["config.json"]), loadOptions(flags));
    },
  },
  {
    name: "link",
    summary: "print a vmess:// share link and QR code per VMess client; --decode: a client config",
    flags: [
      ...CONFIG_FLAGS,
      { names: ["host"], kind: "string", arg: "NAME", help: "the public name clients dial" },
      { names: ["email"], kind: "string", arg: "E", help: "only the client with this email" },
      {
        names: ["port"],
        kind: "string",
        arg: "N",
        help: "the public port, when a front end (nginx, a CDN) listens on another",
      },
      {
        names: ["tls"],
        kind: "bool",
        help: "clients reach a TLS front end although the inbound is plain",
      },
      { names: ["no-qr"], kind: "bool", help: "links only, no QR codes" },
      { names: ["light"], kind: "bool", help: "QR codes for a terminal with a light background" },
      { names: ["decode"], kind: "string", arg: "LINK", help: "print the client config of LINK" },
      {
        names: ["socks-port"],
        kind: "string",
        arg: "N",
        help: "with --decode: the client's SOCKS port (HTTP on the next; default 1080)",
      },
    ],
    examples: [
      "denoray link -c /etc/denoray/config.json --host vpn.example.com",
      "denoray link -c config.json --host vpn.example.com --port 443 --tls   (behind nginx)",
      "denoray link -c config.json --host vpn.example.com --email alice@example.com",
      "denoray link --decode 'vmess://eyJ2Ijoi…' > client.json",
    ],
    async run(flags) {
      noPositionals(flags);
      // Share links and QR codes (an npm package) are loaded for this command only.
      const { decodeLinkCommand, linkCommand, portFlag } = await import("./link.ts");
      const decode = str(flags, "decode");
      if (decode !== undefined) {
        return decodeLinkCommand(decode, portFlag("socks-port", str(flags, "socks-port")) ?? 1080);
      }
      return await linkCommand(
        files(flags, ["config.json"]),
        loadOptions(flags),
        {
          host: str(flags, "host"),
          email: str(flags, "email"),
          port: portFlag("port", str(flags, "port")),
          tls: flags.values.get("tls") === true ? true : undefined,
        },
        { qr: flags.values.get("no-qr") !== true, light: flags.values.get("light") === true },
      );
    },
  },
  {
    name: "uuid",
    summary: "print a random UUID (v4) for a VMess user id",
    flags: [],
    examples: ["denoray uuid"],
    run(flags) {
      noPositionals(flags);
      console.log(crypto.randomUUID());
      return Promise.resolve(0);
    },
  },
  {
    name: "version",
    summary: "print denoray's and Deno's versions and the crypto backend",
    flags: [CRYPTO_FLAG],
    examples: ["denoray version", "denoray -version"],
    run(flags) {
      noPositionals(flags);
      return Promise.resolve(printVersion());
    },
  },
];

const HELP_FLAG: FlagSpec = { names: ["help", "h"], kind: "bool", help: "show this help" };

// With no command, V2Ray 4's flags: run, or -test, or -version.
const V2RAY_FLAGS: readonly FlagSpec[] = [
  ...CONFIG_FLAGS,
  { names: ["test"], kind: "bool", help: "validate the config and exit (as `denoray test`)" },
  { names: ["version"], kind: "bool", help: "print the version and exit" },
  HELP_FLAG,
];

function commandHelp(c: Command): string {
  return [
    `Usage: denoray ${c.name}${c.flags.length > 0 ? " [flags]" : ""}`,
    "",
    c.summary,
    "",
    "Flags:",
    ...flagHelp([...c.flags, HELP_FLAG]),
    "",
    "Examples:",
    ...c.examples.map((e) => `  ${e}`),
  ].join("\n");
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: denoray COMMAND [flags]",
    "       denoray [-test] [-config FILE]... [-confdir DIR]   (V2Ray 4's spelling)",
    "",
    "A VMess edge proxy, byte-compatible with V2Ray 4.x",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${"help".padEnd(width)}  help for a command: denoray help run`,
    "",
    "Flags without a command (V2Ray 4's):",
    ...flagHelp(V2RAY_FLAGS),
    "",
    "Examples:",
    "  denoray run -c config.json",
    "  denoray test -c config.json",
    "  denoray -test -config config.json",
  ].join("\n");
}

/**
 * `--crypto X` may come before the command, as with any flag that concerns the whole program
 * (`denoray --crypto node version`): taken off the front and handed to the command's flags.
 */
function leadingCrypto(args: readonly string[]): { crypto?: string; rest: readonly string[] } {
  const m = /^--?crypto(?:=(.*))?$/.exec(args[0] ?? "");
  if (!m) return { rest: args };
  if (m[1] !== undefined) return { crypto: m[1], rest: args.slice(1) };
  if (args.length < 2) throw new UsageError("--crypto needs a value: auto, openssl or node");
  return { crypto: args[1], rest: args.slice(2) };
}

async function dispatch(all: readonly string[]): Promise<number> {
  const lead = leadingCrypto(all);
  const args = lead.crypto !== undefined && !lead.rest[0]?.startsWith("-")
    ? [...lead.rest.slice(0, 1), `--crypto=${lead.crypto}`, ...lead.rest.slice(1)]
    : all;
  const [first, ...rest] = args;
  if (first === undefined) {
    console.error(mainHelp());
    return 2;
  }
  if (first === "help") {
    const c = COMMANDS.find((c) => c.name === rest[0]);
    console.log(c ? commandHelp(c) : mainHelp());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (command) {
    const flags = parseFlags(rest, [...command.flags, HELP_FLAG]);
    if (flags.values.get("help") === true) {
      console.log(commandHelp(command));
      return 0;
    }
    if (command.flags.includes(CRYPTO_FLAG)) await initCrypto(str(flags, "crypto"));
    return await command.run(flags);
  }
  if (!first.startsWith("-")) throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  const flags = parseFlags(args, V2RAY_FLAGS);
  if (flags.values.get("help") === true) {
    console.log(mainHelp());
    return 0;
  }
  await initCrypto(str(flags, "crypto"));
  if (flags.values.get("version") === true) return printVersion();
  const name = flags.values.get("test") === true ? "test" : "run";
  return await COMMANDS.find((c) => c.name === name)!.run(flags);
}

/** Parses `args` and runs the command; resolves with the process exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  try {
    return await dispatch(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`denoray: ${e.message}\nRun "denoray help" for usage.`);
      return 2;
    }
    // Config problems and start-up failures (a port in use) are reports, not crashes.
    const known = e instanceof ConfigError || e instanceof CryptoError;
    console.error(known ? (e as Error).message : `denoray: ${(e as Error).message ?? e}`);
    return 1;
  }
}
