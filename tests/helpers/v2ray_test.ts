/** `v2ray -test` on config files, for checking that denoray reads a config as V2Ray 4.34 does. */

/** Whether `v2ray -test -config F1 -config F2 …` accepts the files, and what it printed. */
export async function v2rayAccepts(
  files: readonly string[],
  env: Record<string, string> = {},
): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command("v2ray", {
    args: ["-test", ...files.flatMap((f) => ["-config", f])],
    stdin: "null",
    env,
  }).output();
  const dec = new TextDecoder();
  return { ok: out.code === 0, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}
