/** deploy/denoray.service: what it promises, and `systemd-analyze verify` passes on it. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { requirePeer } from "./helpers/peers.ts";
import { relocateUnit, UNIT_PATH, unitDirectives } from "./helpers/release.ts";

Deno.test("systemd unit: dynamic user, many files, one capability, read-only system, scoped permissions", async () => {
  const d = unitDirectives(await Deno.readTextFile(UNIT_PATH));
  const get = (k: string) => d.filter(([key]) => key === k).map(([, v]) => v);
  assertEquals(get("DynamicUser"), ["yes"]);
  assert(Number(get("LimitNOFILE")[0]) >= 65536, "LimitNOFILE");
  assertEquals(get("CapabilityBoundingSet"), ["CAP_NET_BIND_SERVICE"]);
  assertEquals(get("AmbientCapabilities"), ["CAP_NET_BIND_SERVICE"]);
  assertEquals(get("ProtectSystem"), ["strict"]);
  assertEquals(get("NoNewPrivileges"), ["yes"]);
  assertEquals(get("ExecReload"), ["/bin/kill -HUP $MAINPID"]);
  assertEquals(get("StateDirectory"), ["denoray"], "the replay filters survive a restart");
  const exec = get("ExecStart")[0].split(/\s+/);
  // Read only the config directory, the state and V2Ray's asset directories; write only the log
  // and state directories; the network; libcrypto through FFI.
  const perms = exec.filter((a) => a.startsWith("--allow-"));
  assertEquals(perms.sort(), [
    "--allow-env=NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,DENORAY_STATE_DIR,STATE_DIRECTORY,DENORAY_CRYPTO,DENORAY_LIBCRYPTO,V2RAY_LOCATION_ASSET,V2RAY_LOCATION_CONFDIR",
    "--allow-ffi",
    "--allow-net",
    "--allow-read=/etc/denoray,/var/lib/denoray,/usr/local/share/denoray,/usr/local/share/v2ray,/usr/share/v2ray",
    "--allow-write=/var/log/denoray,/var/lib/denoray",
  ]);
  assert(exec.includes("--unstable-net"), "UDP sockets");
  assertEquals(exec.slice(-4), [
    "/opt/denoray/lib/denoray.js",
    "run",
    "-c",
    "/etc/denoray/config.json",
  ]);
});

Deno.test({
  name: "systemd unit: systemd-analyze verify passes, and its exposure score is low",
  ignore: !requirePeer("systemd-analyze"),
  fn: async () => {
    // verify checks that ExecStart's program exists: put the runtime where the unit expects it.
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/opt/bin`, { recursive: true });
      await Deno.symlink(Deno.execPath(), `${dir}/opt/bin/deno`);
      const unit = `${dir}/denoray.service`;
      await Deno.writeTextFile(
        unit,
        relocateUnit(await Deno.readTextFile(UNIT_PATH), {
          opt: `${dir}/opt`,
          etc: `${dir}/etc`,
          log: `${dir}/log`,
          state: `${dir}/state`,
        }),
      );
      const verify = await new Deno.Command("systemd-analyze", {
        args: ["verify", unit],
        cwd: dir,
        stdin: "null",
      }).output();
      const said = new TextDecoder().decode(verify.stderr) +
        new TextDecoder().decode(verify.stdout);
      assertEquals([verify.code, said.trim()], [0, ""]);
      const security = await new Deno.Command("systemd-analyze", {
        args: ["security", "--offline=yes", "--no-pager", unit],
        cwd: dir,
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(security.stdout);
      const m = /Overall exposure level for denoray\.service: ([\d.]+) (\w+)/.exec(text);
      assert(m, text);
      // 0 is locked down, 10 is exposed; "OK" is systemd's own verdict below 2.
      assertStringIncludes(m[2], "OK");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
