/** Test certificates made at run time with the `openssl` CLI (never committed): CAs and leaves. */

/** A CA and a leaf it signed, as PEM files in a temp directory, plus a CA that signed nothing. */
export interface TestPki extends AsyncDisposable {
  /** The directory holding every file. */
  readonly dir: string;
  /** The CA that signed the leaf (PEM path). */
  readonly caFile: string;
  /** Its PEM text. */
  readonly ca: string;
  /** Another CA, which signed nothing here (PEM text). */
  readonly otherCa: string;
  /** The leaf certificate (PEM path); its names are `names`. */
  readonly certFile: string;
  /** The leaf's private key (PEM path). */
  readonly keyFile: string;
  /** The leaf certificate's PEM text. */
  readonly cert: string;
  /** The leaf key's PEM text. */
  readonly key: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    `/CN=denoray test ${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
}

/** Makes a CA, a leaf for `names` (DNS names) signed by it, and a second CA. */
export async function makeTestPki(names: readonly string[] = ["test.local"]): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "denoray-pki-" });
  try {
    await makeCa(dir, "ca");
    await makeCa(dir, "other");
    await openssl([
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "leaf.key",
      "-out",
      "leaf.csr",
      "-subj",
      `/CN=${names[0]}`,
    ], dir);
    await Deno.writeTextFile(
      `${dir}/leaf.ext`,
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\n` +
        "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    );
    await openssl([
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "leaf.pem",
      "-days",
      "2",
      "-extfile",
      "leaf.ext",
    ], dir);
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
  const read = (f: string) => Deno.readTextFileSync(`${dir}/${f}`);
  return {
    dir,
    caFile: `${dir}/ca.pem`,
    ca: read("ca.pem"),
    otherCa: read("other.pem"),
    certFile: `${dir}/leaf.pem`,
    keyFile: `${dir}/leaf.key`,
    cert: read("leaf.pem"),
    key: read("leaf.key"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
