/** Replay protection across restarts: the AuthID filter is saved on stop and restored at start. */
import { assert, assertEquals } from "./assert.ts";
import { parseUuid } from "../lib/vmess/mod.ts";
import { firstPacket } from "./helpers/vmess.ts";
import { ReplayFilter } from "../lib/vmess/replay.ts";
import { parseReplayState } from "../lib/vmess/mod.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";
import { RunningInstance } from "./helpers/instance.ts";
import { EchoServer } from "./helpers/net.ts";

const ID = parseUuid("b831381d-6324-4d53-ad4f-8cda48b30811")!;

Deno.test("replay filter: a snapshot restores what is still inside its window, nothing older", () => {
  const f = new ReplayFilter(120, 1000, 1000);
  assert(f.check("aa", 1000));
  assert(f.check("bb", 1100));
  const snap = f.snapshot();
  const fresh = (now: number) => {
    const g = new ReplayFilter(120, 1000, now);
    g.restore(snap, now);
    return g;
  };
  assertEquals(fresh(1050).check("aa", 1050), false, "restored inside the window");
  assertEquals(fresh(1050).check("cc", 1050), true, "new keys pass");
  assertEquals(fresh(1000 + 240).check("aa", 1240), true, "two periods later it is gone");
  assertEquals(parseReplayState({ authIds: snap, sessions: snap })?.authIds.current, ["aa", "bb"]);
  for (
    const junk of [null, 1, "x", { authIds: snap }, { authIds: { swappedAt: "1" }, sessions: snap }]
  ) {
    assertEquals(parseReplayState(junk), null, JSON.stringify(junk));
  }
});

async function serveOnce(stateFile: string | undefined, first: Uint8Array): Promise<string[]> {
  const lines: string[] = [];
  const inst = await RunningInstance.start(
    {
      inbounds: [{
        tag: "vmess-in",
        listen: "127.0.0.1",
        port: 0,
        protocol: "vmess",
        settings: { clients: [{ id: ID }] },
      }],
      outbounds: [{ protocol: "freedom" }],
      policy: { levels: { "0": { handshake: 2 } } },
    },
    new Logger("info", memorySink(lines), memorySink(lines)),
    { stateFile },
  );
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: inst.port() });
    try {
      await conn.write(first);
      await conn.closeWrite();
      while (await conn.read(new Uint8Array(1024)).catch(() => null) !== null) {
        // Until the server closes.
      }
    } finally {
      conn.close();
    }
  } finally {
    await inst[Symbol.asyncDispose]();
  }
  return lines;
}

Deno.test("replay across a restart: a captured first packet is refused by the restarted server", async () => {
  await using echo = new EchoServer();
  const dir = await Deno.makeTempDir();
  const stateFile = `${dir}/replay-state.json`;
  try {
    const first = firstPacket(echo.port, ID);
    const served = await serveOnce(stateFile, first);
    assert(served.some((l) => l.includes("accepted tcp:127.0.0.1")), served.join("\n"));
    assert((await Deno.stat(stateFile)).isFile, "state saved on stop");
    const replayed = await serveOnce(stateFile, first);
    assert(replayed.some((l) => l.includes("rejected: replay")), replayed.join("\n"));
    assert(!replayed.some((l) => l.includes("accepted tcp:")), replayed.join("\n"));
    // Without a state file the filter lives in memory only, as in V2Ray 4.34: it is accepted.
    const inMemory = await serveOnce(undefined, first);
    assert(inMemory.some((l) => l.includes("accepted tcp:127.0.0.1")), inMemory.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replay state: a corrupt state file is a warning, and the server starts", async () => {
  await using echo = new EchoServer();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/s.json`, "{ not json");
    const first = firstPacket(echo.port, ID);
    const lines = await serveOnce(`${dir}/s.json`, first);
    assert(lines.some((l) => l.includes("state: cannot read")), lines.join("\n"));
    assert(lines.some((l) => l.includes("accepted tcp:127.0.0.1")), lines.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
