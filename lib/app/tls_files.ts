/**
 * TLS certificate and key files, read when a config is loaded (for `run` and by `test`): each
 * `certificateFile` / `keyFile` becomes its PEM text, so the stream layers never touch the disk.
 * A missing, unreadable or non-PEM file is a config error naming its JSON path.
 */
import {
  type Config,
  ConfigError,
  type ConfigIssue,
  type PemSource,
  type StreamSettings,
} from "../config/mod.ts";

type Reader = (file: string) => Promise<string>;

async function readPem(
  source: PemSource,
  path: ReadonlyArray<string | number>,
  read: Reader,
  issues: ConfigIssue[],
): Promise<PemSource> {
  if ("inline" in source) return source;
  try {
    const text = await read(source.file);
    if (!text.includes("-----BEGIN ")) {
      issues.push({ path, message: `${source.file} is not a PEM file`, severity: "error" });
    }
    return { inline: text };
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : (e as Error).message ?? String(e);
    issues.push({ path, message: `cannot read ${source.file}: ${why}`, severity: "error" });
    return source;
  }
}

async function readStream(
  s: StreamSettings,
  at: ReadonlyArray<string | number>,
  read: Reader,
  issues: ConfigIssue[],
): Promise<StreamSettings> {
  if (!s.tls || s.tls.certificates.length === 0) return s;
  // The resolved list keeps the configured order (a dropped entry is a config error already).
  const certificates = await Promise.all(s.tls.certificates.map(async (c, i) => {
    const p = [...at, "tlsSettings", "certificates", i];
    return {
      ...c,
      certificate: await readPem(c.certificate, [...p, "certificateFile"], read, issues),
      key: c.key && await readPem(c.key, [...p, "keyFile"], read, issues),
    };
  }));
  return { ...s, tls: { ...s.tls, certificates } };
}

/**
 * `config` with every certificate and key file read into its PEM text; throws ConfigError (with
 * `file` named) listing each file that could not be read.
 */
export async function readTlsFiles(
  config: Config,
  file?: string,
  read: Reader = (f) => Deno.readTextFile(f),
): Promise<Config> {
  const issues: ConfigIssue[] = [];
  const inbounds = await Promise.all(config.inbounds.map(async (ib, i) => ({
    ...ib,
    stream: await readStream(ib.stream, ["inbounds", i, "streamSettings"], read, issues),
  })));
  const outbounds = await Promise.all(config.outbounds.map(async (ob, i) => ({
    ...ob,
    stream: await readStream(ob.stream, ["outbounds", i, "streamSettings"], read, issues),
  })));
  if (issues.length > 0) throw new ConfigError(issues, file);
  return { ...config, inbounds, outbounds } as Config;
}
