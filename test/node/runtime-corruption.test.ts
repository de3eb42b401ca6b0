// A node whose store fails its checksums refuses to start: it never opens its peer port (so it
// cannot vote or acknowledge) and never serves. Once with a row of a real SQLite file damaged
// between restarts, once with the bytes a MemoryStorage holds damaged; the rest of the cluster
// goes on without the node.
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { RaftRuntime } from "../../src/node/raft-runtime.ts";
import { ChecksumError } from "../../src/storage/checksum.ts";
import { MemoryStorage } from "../../src/storage/index.ts";
import type { LogStorage } from "../../src/storage/log-storage.ts";
import { kvCommand } from "./support/kv-state-machine.ts";
import { RuntimeCluster } from "./support/runtime-cluster.ts";
import { soloRuntime } from "./support/solo-runtime.ts";
import { waitUntil } from "./support/wait-until.ts";

let cluster: RuntimeCluster | null = null;
let runtime: RaftRuntime | null = null;

afterEach(async () => {
  await runtime?.stop();
  runtime = null;
  await cluster?.stopAll();
  cluster = null;
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

/** The store as a restart finds it: the runtime's stop() closes it, a disk outlives the process. */
function outliving(store: MemoryStorage): LogStorage {
  return new Proxy(store, {
    get: (target, prop) => (prop === "close" ? () => {} : Reflect.get(target, prop, target)),
  });
}

function solo(storage: LogStorage, logs: string[], transports: { made: number }): RaftRuntime {
  return soloRuntime(storage, { seed: 3, logSink: (line) => logs.push(line), onTransport: () => transports.made++ });
}

describe("a node with a damaged store", () => {
  test("memory: a flipped byte in a held entry refuses the restart before the peer port opens", async () => {
    const store = new MemoryStorage();
    store.format({ clusterId: "solo", nodeId: 1 });
    const logs: string[] = [];
    const first = { made: 0 };
    const rt = (runtime = solo(outliving(store), logs, first));
    await rt.start();
    await waitUntil("self-election", () => rt.isLeader());
    for (const v of ["a", "b", "c"]) await rt.propose(kvCommand(v, v));
    await rt.stop();
    runtime = null;

    const held = (store as unknown as { entries: Array<{ index: number; data: Uint8Array }> }).entries.find((e) => e.index === 2);
    if (held === undefined) throw new Error("entry 2 is not held");
    held.data[0] ^= 0x40;
    const again = { made: 0 };
    const rt2 = (runtime = solo(outliving(store), logs, again));
    const err = await rejection(rt2.start());
    expect(err).toBeInstanceOf(ChecksumError);
    expect((err as ChecksumError).place).toEqual({ kind: "entry", index: 2 });
    expect(again.made).toBe(0); // never listened: no vote, no acknowledgement
    expect(rt2.isLeader()).toBe(false);
    expect(logs.some((l) => l.includes('"start_refused"') && l.includes("entry 2 fails its checksum"))).toBe(true);
  });

  test("sqlite: a row damaged between restarts refuses that node's start; the others go on", async () => {
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 21 });
    const c = cluster;
    const leader = await c.waitForLeader();
    let last = 0;
    for (const v of ["x", "y", "z"]) last = (await leader.runtime.propose(kvCommand(v, v))).index;
    await c.waitApplied(last);
    const victim = c.follower();
    const membership = c.membershipOf([1, 2, 3]);
    await c.stopNode(victim.id);

    const db = new Database(c.dbPath(victim.id));
    try {
      db.query("UPDATE entries SET data = CAST('not what was written' AS BLOB) WHERE idx = ?").run(last);
    } finally {
      db.close();
    }
    const err = await rejection(c.restartNode(victim.id, membership));
    expect(err).toBeInstanceOf(ChecksumError);
    expect((err as ChecksumError).place).toEqual({ kind: "entry", index: last });
    expect((err as Error).message).toContain(`entry ${last} fails its checksum`);
    expect(c.nodes.has(victim.id)).toBe(false);

    const now = await c.waitForLeader();
    const { index } = await now.runtime.propose(kvCommand("after", "damage"));
    await c.waitApplied(index);
    for (const n of c.nodes.values()) expect(n.sm.data.get("after")).toBe("damage");
  });
});
