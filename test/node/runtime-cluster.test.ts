// Three RaftRuntimes in one process over real TCP transports: the runtime's loop end to end.
import { afterEach, describe, expect, test } from "bun:test";
import { NotLeaderError } from "../../src/node/contracts.ts";
import { kvCommand } from "./support/kv-state-machine.ts";
import { RuntimeCluster } from "./support/runtime-cluster.ts";
import { waitUntil } from "./support/wait-until.ts";

let cluster: RuntimeCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

describe("three runtimes over TCP", () => {
  test("elect a leader, propose on it, every node applies", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 1 });
    const leader = await cluster.waitForLeader();
    const { index, result } = await leader.runtime.propose(kvCommand("a", "1"));
    expect(result).toEqual({ prev: null });
    const again = await leader.runtime.propose(kvCommand("a", "2"));
    expect(again.index).toBe(index + 1);
    expect(again.result).toEqual({ prev: "1" });
    await cluster.waitApplied(again.index);
    for (const n of cluster.nodes.values()) expect(n.sm.data.get("a")).toBe("2");
  });

  test("a follower refuses to propose, forwards to the leader, and reads linearizably", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 2 });
    const leader = await cluster.waitForLeader();
    const early = cluster.follower();
    await expect(early.runtime.forwardToLeader(kvCommand("x", "0"))).rejects.toThrow("no forward handler");
    leader.runtime.onForward(async (payload) => {
      const { index } = await leader.runtime.propose(payload);
      return new TextEncoder().encode(String(index));
    });
    const follower = cluster.follower();
    await expect(follower.runtime.propose(kvCommand("x", "1"))).rejects.toBeInstanceOf(NotLeaderError);
    const reply = await follower.runtime.forwardToLeader(kvCommand("x", "1"));
    const index = Number(new TextDecoder().decode(reply));
    expect(index).toBeGreaterThan(0);
    await follower.runtime.readBarrier();
    expect(follower.runtime.appliedIndex()).toBeGreaterThanOrEqual(index);
    expect(follower.sm.data.get("x")).toBe("1");
    const reads = await Promise.all(Array.from({ length: 20 }, () => follower.runtime.readBarrier()));
    expect(reads).toHaveLength(20);
    const m = follower.runtime.metrics();
    expect(m.yakt_raft_read_index_rounds_total).toBeLessThan(m.yakt_raft_read_barriers_total);
  });

  test("the leader stops: a new leader is elected and writes continue", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 3 });
    const first = await cluster.waitForLeader();
    await first.runtime.propose(kvCommand("k", "before"));
    await cluster.stopNode(first.id);
    const second = await cluster.waitForLeader();
    expect(second.id).not.toBe(first.id);
    const { index } = await second.runtime.propose(kvCommand("k", "after"));
    await cluster.waitApplied(index);
    for (const n of cluster.nodes.values()) expect(n.sm.data.get("k")).toBe("after");
  });

  test("status and metrics describe the cluster from the leader", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 4 });
    const leader = await cluster.waitForLeader();
    const { index } = await leader.runtime.propose(kvCommand("s", "1"));
    await cluster.waitApplied(index);
    const s = await waitUntil("leader to see every follower caught up", () => {
      const st = leader.runtime.status();
      return st.members.length === 3 && st.members.every((m) => m.lag === 0) ? st : null;
    });
    expect(s.role).toBe("leader");
    expect(s.leader).toBe(leader.id);
    expect(s.clusterId).toBe("test-cluster");
    expect(s.commitOffset).toBeGreaterThanOrEqual(index);
    const self = s.members.find((m) => m.id === leader.id);
    expect(self?.lastContactMs).toBe(0);
    const fs = cluster.follower().runtime.status();
    expect(fs.members).toHaveLength(1);
    expect(fs.members[0].lastContactMs).toBeNull();
    const m = leader.runtime.metrics();
    expect(m.yakt_raft_is_leader).toBe(1);
    expect(m.yakt_raft_persist_batches_total).toBeGreaterThan(0);
    expect(leader.runtime.log).toBeDefined();
    expect(cluster.logs.some((l) => JSON.parse(l).event === "role_changed")).toBe(true);
  });
});
