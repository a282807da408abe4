import { assertEquals, assertStringIncludes } from "./assert.ts";
import { runToEnd } from "./helpers/process.ts";

Deno.test("bundle: deno task bundle's command writes one file that runs on its own", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/denoray.js`;
    const b = await runToEnd(Deno.execPath(), ["bundle", "--quiet", "--output", out, "main.ts"]);
    assertEquals(b.code, 0, b.stderr);
    // Run from an empty directory so nothing but the bundle itself is available.
    const v = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", out, "version"],
      cwd: dir,
    }).output();
    assertEquals(v.code, 0);
    assertStringIncludes(new TextDecoder().decode(v.stdout), "denoray ");
    await Deno.writeTextFile(
      `${dir}/c.json`,
      '{ /* comment */ "outbounds": [{ "protocol": "freedom" }] }',
    );
    const t = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", out, "test", "-c", "c.json"],
      cwd: dir,
    }).output();
    assertEquals(new TextDecoder().decode(t.stdout).trim(), "Configuration OK.");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
