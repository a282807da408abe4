/**
 * `denoray link`: the vmess:// share link (v2rayN's format) and a terminal QR code for each VMess
 * client of a server config; with --decode, the client config a link stands for.
 */
import { ConfigError, formatIssue, loadConfigFiles, type LoadOptions } from "../config/mod.ts";
import {
  clientConfigOf,
  decodeVmessLink,
  encodeVmessLink,
  renderQr,
  ShareLinkError,
  type ShareOptions,
  sharesOf,
} from "../share/mod.ts";
import { UsageError } from "./flags.ts";

/** What `link` prints besides the links. */
export interface LinkOutput {
  /** Draw a QR code under each link. */
  readonly qr: boolean;
  /** QR codes for a terminal with a light background. */
  readonly light: boolean;
}

/** Prints every client's link (and QR code) of the config in `files`; returns the exit code. */
export async function linkCommand(
  files: readonly string[],
  options: LoadOptions,
  share: ShareOptions,
  out: LinkOutput,
): Promise<number> {
  let loaded;
  try {
    loaded = await loadConfigFiles(files, options);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    return 1;
  }
  for (const w of loaded.warnings) console.error(`warning: ${formatIssue(w)}`);
  let shares;
  try {
    shares = sharesOf(loaded.config, share);
  } catch (e) {
    if (!(e instanceof ShareLinkError)) throw e;
    console.error(`denoray: ${e.message}`);
    return 1;
  }
  if (shares.length === 0) {
    console.error(
      `denoray: no VMess client${share.email ? ` with email ${share.email}` : ""} in the config`,
    );
    return 1;
  }
  for (const { inbound, share: s } of shares) {
    const link = encodeVmessLink(s);
    console.log(`# ${s.ps} (${inbound}, ${s.net}${s.tls ? "+tls" : ""}, ${s.add}:${s.port})`);
    console.log(link);
    if (out.qr) console.log(renderQr(link, { darkOnLight: out.light }) + "\n");
  }
  return 0;
}

/** Prints the client config (SOCKS 1080 + HTTP 1081 → VMess) that `link` stands for. */
export function decodeLinkCommand(link: string, socksPort: number): number {
  try {
    console.log(JSON.stringify(clientConfigOf(decodeVmessLink(link), socksPort), null, 2));
    return 0;
  } catch (e) {
    if (!(e instanceof ShareLinkError)) throw e;
    console.error(`denoray: ${e.message}`);
    return 1;
  }
}

/** A port number from a flag's text. */
export function portFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UsageError(`--${name} ${text}: a port number from 1 to 65535`);
  }
  return n;
}
