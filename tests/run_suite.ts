/**
 * `deno task test [deno test args…]`: the whole suite (or the given files) once per crypto backend,
 * DENORAY_CRYPTO=openssl then node, so both pass every test; each run ends with deno's own summary
 * line (.ci/run adds them up). With DENORAY_CRYPTO already set, only that backend runs.
 */
const preset = Deno.env.get("DENORAY_CRYPTO");
const backends = preset ? [preset] : ["openssl", "node"];
const args = Deno.args.some((a) => !a.startsWith("-")) ? Deno.args : [...Deno.args, "tests/"];
let failed = false;
for (const backend of backends) {
  console.log(`::: deno test with DENORAY_CRYPTO=${backend}`);
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--unstable-net", "--parallel", ...args],
    env: { DENORAY_CRYPTO: backend },
    stdin: "null",
  }).spawn().status;
  if (!status.success) failed = true;
}
Deno.exit(failed ? 1 : 0);
