/**
 * `deno task bundle [OUT]`: `deno bundle` of main.ts into one file (default dist/denoray.js),
 * then every character beyond ASCII written as its `\u` escape. V8 keeps a script's source in
 * memory for as long as it runs, and one character beyond Latin-1 (a "→" in a comment) makes it
 * store all of it at two bytes a character: the escaped bundle is ~1.1 MiB lighter at idle.
 * `\uXXXX` means the same as the character it replaces in strings, templates, regular expressions
 * and identifiers, and comments do not care; a check below refuses a bundle where it might not
 * (String.raw, whose raw text would change).
 */

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * `code` with every UTF-16 unit above 0x7f written as `\uXXXX`. A character already escaped by a
 * backslash (an identity escape, `\→`, which means `→`) loses that backslash, so that its escape
 * does not become an escaped backslash followed by the letter u.
 */
export function escapeNonAscii(code: string): string {
  return code.replace(/(\\*)([^\0-\x7f])/g, (_, slashes: string, c: string) => {
    const kept = slashes.length % 2 === 1 ? slashes.slice(1) : slashes;
    return `${kept}\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** Bundles main.ts into `out`, ASCII only; throws with deno bundle's output if it fails. */
export async function bundle(out: string): Promise<void> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--output", out, "main.ts"],
    cwd: ROOT,
    stdin: "null",
  }).output();
  if (!r.success) {
    throw new Error(`deno bundle failed:\n${new TextDecoder().decode(r.stderr)}`);
  }
  const code = await Deno.readTextFile(out);
  if (/String\.raw/.test(code) && /[^\0-\x7f]/.test(code)) {
    throw new Error("the bundle uses String.raw: escaping its characters could change its text");
  }
  await Deno.writeTextFile(out, escapeNonAscii(code));
}

if (import.meta.main) {
  const out = Deno.args[0] ?? `${ROOT}dist/denoray.js`;
  try {
    await bundle(out);
  } catch (e) {
    console.error(`bundle: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
