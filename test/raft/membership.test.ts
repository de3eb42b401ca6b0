import { describe, expect, test } from "bun:test";
import type { ConfChange, Message } from "../../src/raft/index.ts";
import { bytes, Cluster } from "./harness.ts";

function change(c: Cluster, leader: number, cc: ConfChange): number {
  const r = c.raft(leader).proposeConfChange(cc);
  if (!r.ok) throw new Error(`conf change refused: ${r.reason} ${r.message}`);
  c.stabilize();
  return r.index;
}

describe("membership changes", () => {
  test("add a voter: it catches up and then counts toward the quorum", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, "before");
    c.add(4);
    const at = change(c, 1, { type: "addVoter", id: 4, address: "127.0.0.1:9004" });
    c.tick(3);
    for (const id of [1, 2, 3, 4]) {
      expect(c.raft(id).status().membership.voters).toEqual([1, 2, 3, 4]);
      expect(c.raft(id).status().commit).toBeGreaterThanOrEqual(at);
    }
    expect(c.node(4).applied).toEqual(["before"]);
    c.stop(2);
    c.stop(3);
    const r = c.raft(1).propose(bytes("two of four"));
    c.stabilize();
    expect(r.ok).toBe(true);
    expect(c.raft(1).status().commit).toBeLessThan(r.ok ? r.index : 0); // 2 of 4 is no majority
  });

  test("only one uncommitted config entry at a time", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.stop(2);
    c.stop(3);
    expect(c.raft(1).proposeConfChange({ type: "addLearner", id: 4, address: "a:4" }).ok).toBe(true);
    const second = c.raft(1).proposeConfChange({ type: "addLearner", id: 5, address: "a:5" });
    expect(second).toMatchObject({ ok: false, reason: "config_pending" });
  });

  test("invalid changes are refused and write nothing", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const last = c.raft(1).status().lastIndex;
    expect(c.raft(1).proposeConfChange({ type: "addVoter", id: 2, address: "a:2" })).toMatchObject({ ok: false, reason: "invalid" });
    expect(c.raft(1).proposeConfChange({ type: "removeNode", id: 9 })).toMatchObject({ ok: false, reason: "invalid" });
    expect(c.raft(1).proposeConfChange({ type: "addVoter", id: 0, address: "a:0" })).toMatchObject({ ok: false, reason: "invalid" });
    expect(c.raft(1).proposeConfChange({ type: "addLearner", id: 7, address: "" })).toMatchObject({ ok: false, reason: "invalid" });
    expect(c.raft(2).proposeConfChange({ type: "addLearner", id: 7, address: "a:7" })).toMatchObject({ ok: false, reason: "not_leader", leader: 1 });
    expect(c.raft(1).status().lastIndex).toBe(last);
  });

  test("remove a voter: the rest commit without it and it never campaigns", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    change(c, 1, { type: "removeNode", id: 3 });
    c.tick(2);
    expect(c.raft(3).status().membership.voters).toEqual([1, 2]);
    const term3 = c.raft(3).status().term;
    c.stop(3);
    c.propose(1, "without 3");
    expect(c.node(2).applied).toEqual(["without 3"]);
    c.tick(50, [3]);
    expect(c.raft(3).status()).toMatchObject({ role: "follower", term: term3 });
    c.stop(2);
    const r = c.raft(1).propose(bytes("alone"));
    c.stabilize();
    expect(c.raft(1).status().commit).toBeLessThan(r.ok ? r.index : 0);
  });

  test("a learner gets the log but never counts toward commit", () => {
    const c = new Cluster([1, 2]);
    c.elect(1);
    c.add(3);
    change(c, 1, { type: "addLearner", id: 3, address: "a:3" });
    c.propose(1, "x");
    c.tick(2);
    expect(c.node(3).applied).toEqual(["x"]);
    expect(c.raft(1).status().peers.find((p) => p.id === 3)).toMatchObject({ voter: false, state: "replicate" });
    c.stop(2);
    const r = c.raft(1).propose(bytes("y"));
    c.stabilize();
    expect(c.raft(1).status().commit).toBeLessThan(r.ok ? r.index : 0);
    c.tick(40, [3]);
    expect(c.raft(3).status().role).toBe("follower"); // a learner never campaigns
  });

  test("a learner is promoted to voter", () => {
    const c = new Cluster([1, 2], { learners: [3] });
    c.elect(1);
    change(c, 1, { type: "addVoter", id: 3, address: "a:3" });
    c.tick(2);
    expect(c.raft(3).status().membership).toMatchObject({ voters: [1, 2, 3], learners: [] });
    c.stop(2);
    c.propose(1, "with 3");
    expect(c.node(3).applied).toEqual(["with 3"]);
  });

  test("a leader that removes itself steps down once the change commits, and another takes over", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const at = c.raft(1).proposeConfChange({ type: "removeNode", id: 1 });
    expect(at.ok).toBe(true);
    c.stabilize();
    expect(c.raft(1).status().role).toBe("follower");
    const leader = c.awaitLeader(50);
    expect([2, 3]).toContain(leader);
    c.propose(leader, "after removal");
    c.tick(40);
    expect(c.leaders()).toEqual([leader]);
    expect(c.raft(1).status().role).toBe("follower");
  });

  test("an uncommitted config entry that is truncated away is reverted", () => {
    const c = new Cluster([1, 2, 3, 4, 5], { seed: 21 });
    c.elect(1);
    // the config entry reaches node 2 only, then 1 and 2 are cut off
    c.filter = (m: Message) => !(m.type === "App" && m.from === 1 && m.to !== 2 && m.entries.some((e) => e.type === "config"));
    const r = c.raft(1).proposeConfChange({ type: "addLearner", id: 6, address: "a:6" });
    expect(r.ok).toBe(true);
    c.stabilize();
    expect(c.raft(2).status().membership.learners).toEqual([6]);
    const versionWithLearner = c.raft(2).membershipVersion();
    c.filter = () => true;
    c.isolate(1);
    c.isolate(2);
    c.heal();
    c.isolate(1);
    c.isolate(2);
    c.tick(30, [1, 2]);
    const leader = c.awaitLeader(100);
    c.propose(leader, "new term");
    c.heal();
    c.tick(5);
    for (const id of [1, 2, 3, 4, 5]) {
      expect(c.raft(id).status().membership.learners).toEqual([]);
      expect(c.node(id).applied).toEqual(["new term"]);
    }
    // The revert left no config entry in any Ready: a driver learns of it from the version only.
    expect(c.raft(2).membershipVersion()).toBeGreaterThan(versionWithLearner);
  });
});

describe("membership changes (simulator findings 2 and 3)", () => {
  test("a new leader refuses a config change until it has committed an entry of its term", () => {
    const c = new Cluster([1, 2, 3]);
    c.filter = (m) => m.type !== "AppResp";
    c.elect(1);
    const r = c.raft(1).proposeConfChange({ type: "addLearner", id: 4, address: "a:4" });
    expect(r).toMatchObject({ ok: false, reason: "config_pending" });
    if (!r.ok) expect(r.message).toContain("has not committed an entry of its term");
    c.filter = () => true;
    c.tick(2);
    expect(c.raft(1).proposeConfChange({ type: "addLearner", id: 4, address: "a:4" }).ok).toBe(true);
  });

  test("a node whose own removal is still uncommitted may campaign when only its log can finish it", () => {
    const c = new Cluster([1, 2], { seed: 8 });
    c.elect(1);
    c.isolate(1);
    expect(c.raft(1).proposeConfChange({ type: "removeNode", id: 1 }).ok).toBe(true);
    c.tick(25); // check-quorum: 1 steps down; 2 cannot win without 1, whose log is longer
    expect(c.leaders()).toEqual([]);
    c.heal();
    c.tick(80);
    expect(c.leaders()).toEqual([2]);
    for (const id of [1, 2]) expect(c.raft(id).status().membership.voters).toEqual([2]);
    c.propose(2, "after");
    expect(c.node(2).applied).toEqual(["after"]);
    c.tick(60);
    expect(c.raft(1).status().role).toBe("follower"); // its removal committed: it never campaigns again
  });
});
