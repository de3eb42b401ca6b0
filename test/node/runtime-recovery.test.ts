// Runtimes restarting from SQLite storage, periodic snapshots with log compaction, and a lagging
// node that can only catch up through InstallSnapshot.
import { afterEach, describe, expect, test } from "bun:test";
import { NoLeaderError, NotLeaderError } from "../../src/node/contracts.ts";
import { kvCommand } from "./support/kv-state-machine.ts";
import { RuntimeCluster } from "./support/runtime-cluster.ts";
import { waitUntil } from "./support/wait-until.ts";

let cluster: RuntimeCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

/** Writes through the current leader, retrying (bounded) while leadership moves, as a client would. */
async function writeMany(c: RuntimeCluster, prefix: string, count: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < count; i++) {
    last = await waitUntil(`write ${i} acknowledged`, async () => {
      const leader = await c.waitForLeader();
      try {
        return (await leader.runtime.propose(kvCommand(`${prefix}${i % 7}`, `${prefix}-${i}`))).index;
      } catch (e) {
        if (e instanceof NoLeaderError || e instanceof NotLeaderError) return null;
        throw e;
      }
    });
  }
  return last;
}

describe("recovery from storage", () => {
  test("a whole cluster stopped and restarted rebuilds its state from the log", async () => {
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 11 });
    const last = await writeMany(cluster, "r", 10);
    await cluster.waitApplied(last);
    const before = cluster.node(1).sm.data;
    const membership = cluster.membershipOf([1, 2, 3]);
    for (const id of [1, 2, 3]) await cluster.stopNode(id);
    for (const id of [1, 2, 3]) await cluster.restartNode(id, membership);
    const leader = await cluster.waitForLeader();
    const { index } = await leader.runtime.propose(kvCommand("after", "restart"));
    expect(index).toBeGreaterThan(last);
    await cluster.waitApplied(index);
    for (const n of cluster.nodes.values()) {
      for (const [k, v] of before) expect(n.sm.data.get(k)).toBe(v);
      expect(n.sm.data.get("after")).toBe("restart");
    }
  });

  test("periodic snapshots compact the log; a lagging node catches up via InstallSnapshot", async () => {
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 12, overrides: { snapshotEntries: 20 } });
    const leader = await cluster.waitForLeader();
    const lagging = cluster.follower();
    const membership = cluster.membershipOf([1, 2, 3]);
    await cluster.stopNode(lagging.id);
    // Past the leader's threshold: 4 × (20 + its stagger) entries.
    const last = await writeMany(cluster, "s", 150);
    await cluster.waitApplied(last);
    const first = await waitUntil("leader log compacted", () => {
      const f = leader.runtime.firstIndex();
      return f > 20 ? f : null;
    });
    expect(first).toBeGreaterThan(20);
    expect(leader.runtime.listSnapshots().length).toBeGreaterThan(0);
    expect(leader.runtime.metrics().yakt_raft_snapshots_taken_total).toBeGreaterThan(0);

    const back = await cluster.restartNode(lagging.id, membership);
    await waitUntil("lagging node applied the tail", () => back.runtime.appliedIndex() >= last);
    expect(back.sm.restores).toBeGreaterThan(0);
    expect(back.runtime.metrics().yakt_raft_snapshots_installed_total).toBeGreaterThan(0);
    expect([...back.sm.data]).toEqual([...cluster.node(leader.id).sm.data]);
  });

  test("a node snapshots after --snapshot-records records however few entries produced them", async () => {
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 13, overrides: { snapshotEntries: 100_000, snapshotRecords: 20 } });
    const leader = await cluster.waitForLeader();
    // Past every node's records threshold (20 + its stagger, ≤ 30), far below its entries threshold.
    const last = await writeMany(cluster, "r", 40);
    await cluster.waitApplied(last);
    for (const n of cluster.nodes.values()) {
      await waitUntil(`node ${n.id} snapshotted`, () => n.runtime.metrics().yakt_raft_snapshots_taken_total > 0 || null);
    }
    expect(leader.runtime.listSnapshots().length).toBeGreaterThan(0);
  });

  test("after the leader restarts, a lagging node still gets its snapshot: the chunks are read from SQLite", async () => {
    // Chunks of 64 bytes: the transfer takes many, each filled from the store (the core holds no snapshot bytes).
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 14, overrides: { snapshotChunkBytes: 64 } });
    const lagging = cluster.follower();
    const membership = cluster.membershipOf([1, 2, 3]);
    await cluster.stopNode(lagging.id);
    const last = await writeMany(cluster, "t", 40);
    await cluster.waitApplied(last);
    const others = [1, 2, 3].filter((id) => id !== lagging.id);
    for (const id of others) await cluster.node(id).runtime.snapshotNow();
    for (const id of others) await cluster.stopNode(id);
    for (const id of others) await cluster.restartNode(id, membership);
    const leader = await cluster.waitForLeader();
    expect(leader.runtime.firstIndex()).toBeGreaterThan(last);
    const back = await cluster.restartNode(lagging.id, membership);
    await waitUntil("lagging node installed the snapshot", () => back.runtime.appliedIndex() >= last);
    expect(back.runtime.metrics().yakt_raft_snapshots_installed_total).toBe(1);
    expect([...back.sm.data]).toEqual([...cluster.node(leader.id).sm.data]);
    // What it installed is what the leader stored, byte for byte (and stored by the follower in turn).
    expect(back.runtime.latestSnapshot()?.data).toEqual(leader.runtime.latestSnapshot()?.data);
    // The bytes each node restored from (its own snapshot at the restart, the leader's at the
    // install) were given back once restored: the store keeps its own copy, read above.
    for (const node of [leader, back]) {
      expect(node.sm.restoredFrom.length).toBe(1);
      expect(node.sm.restoredFrom[0].byteLength).toBe(0);
    }
  });

  test("a lagging node stages the snapshot it installs in its store, a slice per macrotask, before the Ready's write", async () => {
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 15, overrides: { stageInstallBytes: 16 } });
    const lagging = cluster.follower();
    await cluster.stopNode(lagging.id);
    const last = await writeMany(cluster, "s", 40);
    await cluster.waitApplied(last);
    const others = [1, 2, 3].filter((id) => id !== lagging.id);
    for (const id of others) await cluster.node(id).runtime.snapshotNow();
    const leader = await cluster.waitForLeader();
    const back = await cluster.restartNode(lagging.id, cluster.membershipOf([1, 2, 3]));
    await waitUntil("lagging node installed the snapshot", () => back.runtime.appliedIndex() >= last);
    const m = back.runtime.metrics();
    expect(m.yakt_raft_snapshots_installed_total).toBe(1);
    expect(m.yakt_raft_snapshot_installs_staged_total).toBe(1);
    expect([...back.sm.data]).toEqual([...cluster.node(leader.id).sm.data]);
    expect(back.runtime.latestSnapshot()?.data).toEqual(leader.runtime.latestSnapshot()?.data);
    // Staged and published, it survives a restart like any install.
    await cluster.stopNode(lagging.id);
    const again = await cluster.restartNode(lagging.id, cluster.membershipOf([1, 2, 3]));
    await waitUntil("restarted node applied its state", () => again.runtime.appliedIndex() >= last);
    expect([...again.sm.data]).toEqual([...cluster.node(leader.id).sm.data]);
  });

  test("snapshotNow stores a snapshot at the applied index", async () => {
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 13 });
    const last = await writeMany(cluster, "n", 5);
    const leader = await cluster.waitForLeader();
    await cluster.waitApplied(last);
    const meta = await leader.runtime.snapshotNow();
    expect(meta.index).toBe(leader.runtime.appliedIndex());
    expect(meta.membership.voters).toEqual([1, 2, 3]);
    expect(leader.runtime.latestSnapshot()?.meta.index).toBe(meta.index);
    expect(await leader.runtime.snapshotNow()).toEqual(meta);
  });
});
