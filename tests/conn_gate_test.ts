/** The connection gate and the accept loop: caps, shedding, refusal, surviving descriptor exhaustion. */
import { assert, assertEquals } from "./assert.ts";
import {
  classifyAcceptError,
  ConnectionGate,
  descriptorLimit,
  type InboundConnection,
  limitsForDescriptors,
  type ListenStack,
  TcpListenerGroup,
  TcpStream,
} from "../lib/net/mod.ts";
import { Logger, memorySink } from "../lib/log/mod.ts";
import { within } from "./helpers/net.ts";

function gate(descriptors: number, handshaking: number, perSource: number) {
  const g = new ConnectionGate({ descriptors, handshaking, handshakingPerSource: perSource });
  const shed: string[] = [];
  const admit = (name: string, source = "10.0.0.1") => g.admit(source, () => shed.push(name));
  return { g, shed, admit };
}

Deno.test("gate: a source past its handshake cap loses its oldest handshaking connection", () => {
  const { g, shed, admit } = gate(100, 10, 2);
  admit("a1");
  admit("a2");
  admit("b1", "10.0.0.2");
  assert(admit("a3") !== null);
  assertEquals(shed, ["a1"]);
  assertEquals(g.handshaking, 3);
  assertEquals(g.takeCounts(), { refused: 0, shed: 1, acceptErrors: 0 });
});

Deno.test("gate: past the global handshake cap the oldest handshaking connection is shed", () => {
  const { g, shed, admit } = gate(100, 3, 3);
  const t1 = admit("a", "1.1.1.1")!;
  admit("b", "2.2.2.2");
  admit("c", "3.3.3.3");
  t1.established(); // no longer sheddable
  admit("d", "4.4.4.4");
  admit("e", "5.5.5.5");
  assertEquals(shed, ["b"]);
  assertEquals(g.established, 1);
  assertEquals(g.handshaking, 3);
});

Deno.test("gate: with every descriptor held by established tunnels, a new one is refused", () => {
  const { g, shed, admit } = gate(4, 4, 4);
  const a = admit("a")!;
  const b = admit("b")!;
  a.established();
  b.established();
  assertEquals(g.inUse, 4);
  assertEquals(admit("c"), null);
  assertEquals(shed, []);
  assertEquals(g.takeCounts().refused, 1);
  a.release();
  a.release(); // idempotent
  assert(admit("d") !== null);
  assertEquals(g.inUse, 3);
});

Deno.test("gate: an establishing tunnel needing its second descriptor sheds an idle handshake", () => {
  const { g, shed, admit } = gate(3, 3, 3);
  const a = admit("a", "1.1.1.1")!;
  admit("b", "2.2.2.2");
  admit("c", "3.3.3.3");
  a.established();
  assertEquals(shed, ["b"]);
  assertEquals(g.inUse, 3);
});

Deno.test("gate: limits follow the descriptor limit; /proc/self/limits is read", () => {
  const l = limitsForDescriptors(1024);
  assertEquals(l.descriptors, 960);
  assert(l.handshaking < l.descriptors && l.handshakingPerSource <= l.handshaking);
  const text = "Limit                     Soft Limit           Hard Limit           Units\n" +
    "Max open files            1024                 524288               files\n";
  assertEquals(descriptorLimit(() => text), 1024);
  assertEquals(descriptorLimit(() => "nothing"), null);
  assertEquals(
    descriptorLimit(() => {
      throw new Error("no /proc");
    }),
    null,
  );
});

Deno.test("accept errors: exhaustion backs off, one connection's trouble retries, the rest is fatal", () => {
  assertEquals(classifyAcceptError(new Error("Too many open files (os error 24)")), "exhausted");
  assertEquals(
    classifyAcceptError(new Error("Too many open files in system (os error 23)")),
    "exhausted",
  );
  assertEquals(
    classifyAcceptError(new Error("Software caused connection abort (os error 103)")),
    "transient",
  );
  assertEquals(
    classifyAcceptError(new Error("Transport endpoint is not connected (os error 107)")),
    "transient",
  );
  assertEquals(classifyAcceptError(new Error("Bad resource ID")), "fatal");
});

// A real listener whose next `failures` accepts throw `error` first.
function failingStack(failures: number, error: string): { stack: ListenStack; left: () => number } {
  let left = failures;
  return {
    left: () => left,
    stack: {
      listen: (hostname, port) => {
        const real = Deno.listen({ hostname, port });
        return new Proxy(real, {
          get(target, prop) {
            if (prop === "accept") {
              return () => {
                if (left > 0) {
                  left--;
                  return Promise.reject(new Error(error));
                }
                return target.accept();
              };
            }
            const v = Reflect.get(target, prop);
            return typeof v === "function" ? v.bind(target) : v;
          },
        });
      },
      open: (conn) =>
        Promise.resolve({ stream: new TcpStream(conn), source: { address: "x", port: 0 } }),
    },
  };
}

Deno.test("listener: accept survives running out of descriptors, logs once, then serves", async () => {
  const lines: string[] = [];
  const logger = new Logger("info", memorySink(lines), null);
  const g = new ConnectionGate(limitsForDescriptors(1024));
  const { stack, left } = failingStack(5, "Too many open files (os error 24)");
  let dead: Error | null = null;
  const group = new TcpListenerGroup(
    { name: "test", stack, openMs: 1000, logger, gate: g, onDead: (e) => dead = e },
    async (c: InboundConnection) => {
      c.established();
      await c.stream.write(new TextEncoder().encode("hi"));
    },
  );
  group.listen("127.0.0.1", 0, 0);
  const port = Number(group.addresses()[0].split(":").pop());
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const buf = new Uint8Array(2);
      assertEquals(await within(conn.read(buf), 10_000, "a reply after the failures"), 2);
    } finally {
      conn.close();
    }
    assertEquals(left(), 0);
    assertEquals(dead, null);
    assertEquals(lines.filter((l) => l.includes("backing off")).length, 1, lines.join("\n"));
    assert(lines.some((l) => l.includes("accepting again")), lines.join("\n"));
    assertEquals(g.takeCounts().acceptErrors, 5);
  } finally {
    await group.close(0);
  }
});

Deno.test("listener: a listener that fails for good reports it instead of going silent", async () => {
  const g = new ConnectionGate(limitsForDescriptors(1024));
  const { stack } = failingStack(1, "Bad resource ID");
  const { promise, resolve } = Promise.withResolvers<Error>();
  const group = new TcpListenerGroup(
    { name: "test", stack, openMs: 1000, logger: new Logger("none"), gate: g, onDead: resolve },
    () => Promise.resolve(),
  );
  group.listen("127.0.0.1", 0, 0);
  try {
    const e = await within(promise, 10_000, "onDead");
    assert(e.message.includes("listener failed: Bad resource ID"), e.message);
  } finally {
    await group.close(0);
  }
});
