// Directory ids (KIP-853) in the core: the leader binds each member's directory id in the
// membership, and a node that comes back with another one (its disk wiped and formatted anew) is
// not counted as the member it replaced — neither its votes nor its acknowledgements — until it is
// removed and added again.
import { describe, expect, test } from "bun:test";
import { isValidMembership } from "../../src/raft/membership.ts";
import type { ConfChange } from "../../src/raft/index.ts";
import { bytes, Cluster } from "./harness.ts";

/** A 3-node cluster with directory ids, node 1 leading and every member bound. */
function boundCluster(): Cluster {
  const c = new Cluster([1, 2, 3], { directoryIds: true });
  c.elect(1);
  c.tick(5);
  for (const id of [1, 2, 3]) expect(c.raft(id).status().membership.directoryIds).toEqual({ "1": "d1", "2": "d2", "3": "d3" });
  return c;
}

function change(c: Cluster, leader: number, cc: ConfChange): void {
  const r = c.raft(leader).proposeConfChange(cc);
  if (!r.ok) throw new Error(`conf change refused: ${r.reason} ${r.message}`);
  c.stabilize();
}

describe("directory ids", () => {
  test("the leader binds every member's directory id, one config entry each, and messages carry the sender's", () => {
    const c = boundCluster();
    const binds = c.sent.filter((m) => m.type === "App" && m.entries.some((e) => e.type === "config"));
    expect(binds.length).toBeGreaterThan(0);
    expect(c.sent.filter((m) => m.from === 2).every((m) => m.directoryId === "d2")).toBe(true);
    expect(c.raft(1).status().directoryId).toBe("d1");
    const commit = c.raft(1).status().commit;
    expect(c.raft(1).status().lastIndex).toBe(commit); // bound and committed: no config pending
  });

  test("nodes without directory ids are never bound (a legacy data dir keeps working)", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.tick(5);
    expect(c.raft(1).status().membership.directoryIds).toBeUndefined();
    c.propose(1, "x");
    expect(c.node(3).applied).toEqual(["x"]);
  });

  test("a wiped voter's acknowledgements do not count toward commit", () => {
    const c = boundCluster();
    c.wipe(3, "d3-new");
    c.stop(2);
    const r = c.raft(1).propose(bytes("needs two of three"));
    expect(r.ok).toBe(true);
    c.tick(5);
    expect(c.raft(1).status().commit).toBeLessThan(r.ok ? r.index : 0);
    // Node 3 did answer, with its new directory id; the leader dropped those answers.
    expect(c.sent.some((m) => m.from === 3 && m.to === 1 && m.directoryId === "d3-new")).toBe(true);
    // Nor do they count for check-quorum: the leader steps down after an election timeout.
    c.tick(10, [1, 3]);
    expect(c.raft(1).status().role).not.toBe("leader");
  });

  test("control: the same voter restarted from its own disk (same directory id) counts", () => {
    const c = boundCluster();
    c.restart(3);
    c.stop(2);
    const r = c.raft(1).propose(bytes("needs two of three"));
    c.tick(5);
    expect(c.raft(1).status().commit).toBeGreaterThanOrEqual(r.ok ? r.index : Infinity);
  });

  test("a wiped voter's vote is not counted: a candidate lacking committed entries cannot win with it", () => {
    const c = boundCluster();
    c.isolate(2);
    const at = c.propose(1, "committed by 1 and 3");
    expect(c.raft(1).status().commit).toBeGreaterThanOrEqual(at);
    c.heal();
    c.stop(1);
    c.wipe(3, "d3-new"); // the only other holder of the entry forgets it
    c.tick(100, [2, 3]);
    expect(c.leaders()).toEqual([]);
    // Node 3 granted (its log is empty), node 2 did not count it.
    const grants = c.sent.filter((m) => m.from === 3 && m.directoryId === "d3-new" && (m.type === "PreVoteResp" || m.type === "VoteResp") && !m.reject);
    expect(grants.length).toBeGreaterThan(0);
  });

  test("without pre-vote or check-quorum the wiped voter's vote is still not counted", () => {
    const c = new Cluster([1, 2, 3], { directoryIds: true, preVote: false, checkQuorum: false });
    c.elect(1);
    c.tick(5);
    c.isolate(2);
    c.propose(1, "committed by 1 and 3");
    c.heal();
    c.stop(1);
    c.wipe(3, "d3-new");
    c.tick(100, [2, 3]);
    expect(c.leaders()).toEqual([]);
  });

  test("after remove and add, the replacement is bound anew, catches up and counts", () => {
    const c = boundCluster();
    c.propose(1, "before");
    c.wipe(3, "d3-new");
    change(c, 1, { type: "removeNode", id: 3 });
    c.tick(3);
    expect(c.raft(1).status().membership.directoryIds).toEqual({ "1": "d1", "2": "d2" });
    change(c, 1, { type: "addVoter", id: 3, address: "127.0.0.1:9003" });
    c.tick(5);
    expect(c.raft(1).status().membership.directoryIds).toEqual({ "1": "d1", "2": "d2", "3": "d3-new" });
    expect(c.node(3).applied).toEqual(["before"]);
    c.stop(2);
    const at = c.propose(1, "two of three, with the replacement");
    expect(c.raft(1).status().commit).toBeGreaterThanOrEqual(at);
  });

  test("an answer the old disk sent before the wipe, arriving after the re-add, does not stop the replacement catching up (sim seeds 4270, 10677, 63463)", () => {
    const c = boundCluster();
    c.propose(1, "before");
    const ack = c.sent.findLast((m) => m.type === "AppResp" && m.from === 3 && !m.reject)!;
    expect(ack).toMatchObject({ directoryId: "d3", index: c.raft(1).status().lastIndex });
    c.wipe(3, "d3-new");
    change(c, 1, { type: "removeNode", id: 3 });
    const r = c.raft(1).proposeConfChange({ type: "addVoter", id: 3, address: "127.0.0.1:9003" });
    expect(r.ok).toBe(true);
    c.raft(1).step(ack); // held by the network until node 3 is a member again, not bound yet
    expect(c.raft(1).status().peers.find((p) => p.id === 3)?.match).toBe(ack.index);
    c.stabilize();
    c.tick(10);
    // The new disk's first answer began the progress anew: node 3 got the log (it had none).
    expect(c.raft(1).status().membership.directoryIds?.["3"]).toBe("d3-new");
    expect(c.node(3).applied).toEqual(["before"]);
    const at = c.propose(1, "after");
    expect(c.raft(3).status().commit).toBeGreaterThanOrEqual(at);
    expect(c.node(3).applied).toEqual(["before", "after"]);
  });

  test("a follower whose log still binds the old disk follows the replaced node once it leads (sim finding)", () => {
    const c = new Cluster([1, 2, 3, 4, 5], { directoryIds: true });
    c.elect(1);
    c.tick(8);
    expect(c.raft(3).status().membership.directoryIds?.["2"]).toBe("d2");
    c.isolate(3); // node 3 keeps the binding 2 → d2 in its log
    c.wipe(2, "d2-new");
    change(c, 1, { type: "removeNode", id: 2 });
    change(c, 1, { type: "addVoter", id: 2, address: "127.0.0.1:9002" });
    c.tick(5, [1, 2, 4, 5]);
    expect(c.raft(1).status().membership.directoryIds?.["2"]).toBe("d2-new");
    c.raft(1).transferLeader(2);
    c.tick(5, [1, 2, 4, 5]);
    expect(c.leaders()).toEqual([2]);
    const at = c.propose(2, "from the replaced leader");
    c.heal();
    c.tick(10);
    expect(c.raft(3).status().membership.directoryIds?.["2"]).toBe("d2-new");
    expect(c.raft(3).status().commit).toBeGreaterThanOrEqual(at);
    expect(c.node(3).applied).toContain("from the replaced leader");
  });

  test("a grant given to a wiped node's earlier life in the same term does not count (sim seed 11152)", () => {
    const c = boundCluster();
    c.propose(1, "held by all three");
    // Node 1 hands leadership to node 2, whose election request reaches node 1 only much later
    // (node 1 is paused through what follows).
    c.raft(1).transferLeader(2);
    c.processReady(1);
    const timeoutNow = c.wire.find((m) => m.type === "TimeoutNow" && m.to === 2)!;
    c.wire = [];
    c.raft(2).step(timeoutNow);
    c.processReady(2);
    const request = c.wire.find((m) => m.type === "Vote" && m.to === 1)!;
    expect(request).toMatchObject({ term: 2, force: true });
    expect(request.index).toBeGreaterThan(0);
    // Node 2's disk is lost; formatted anew, it gets the stale TimeoutNow and campaigns in term 2 too.
    c.wipe(2, "d2-new");
    c.raft(2).step(timeoutNow);
    c.processReady(2);
    expect(c.raft(2).status()).toMatchObject({ role: "candidate", term: 2, lastIndex: 0 });
    c.wire = [];
    // Node 1 resumes and grants the old life's request: the grant names the log it was given for.
    c.raft(1).step(request);
    c.processReady(1);
    const grant = c.wire.find((m) => m.type === "VoteResp" && m.to === 2)!;
    expect(grant).toMatchObject({ term: 2, reject: false, index: request.index, logTerm: request.logTerm });
    c.raft(2).step(grant);
    expect(c.raft(2).status().role).toBe("candidate");
    expect(c.leaders()).toEqual([]);
  });

  test("a voter whose log still binds the old disk grants a replaced node its vote (sim finding, seed 1037)", () => {
    const c = new Cluster([1, 2, 3, 4, 5], { directoryIds: true });
    c.elect(1);
    c.tick(8);
    c.isolate(5); // 5 keeps the binding 2 → d2
    c.wipe(2, "d2-new");
    change(c, 1, { type: "removeNode", id: 2 });
    change(c, 1, { type: "addVoter", id: 2, address: "127.0.0.1:9002" });
    c.tick(5, [1, 2, 3, 4]);
    expect(c.raft(2).status().membership.directoryIds?.["2"]).toBe("d2-new");
    c.isolate(4); // 4 lags too, so only 2 can win
    c.propose(1, "after the replacement");
    c.heal();
    c.stop(1);
    c.stop(3);
    expect(c.raft(5).status().membership.directoryIds?.["2"]).toBe("d2");
    // 2 needs the votes of 4 and 5; 5's view of it is stale.
    expect(c.awaitLeader(300)).toBe(2);
    c.tick(5, [2, 4, 5]);
    expect(c.raft(5).status().membership.directoryIds?.["2"]).toBe("d2-new");
    expect(c.node(5).applied).toContain("after the replacement");
  });

  test("an operator's membership change is not refused while only a binding is pending", () => {
    const c = new Cluster([1, 2, 3], { directoryIds: true });
    c.filter = (m) => !m.entries.some((e) => e.type === "config"); // config entries never reach a follower
    c.elect(1); // its no-op commits, then it binds itself: that entry stays uncommitted
    const s = c.raft(1).status();
    expect(s.membership.directoryIds).toEqual({ "1": "d1" });
    expect(s.lastIndex).toBeGreaterThan(s.commit); // a binding entry is in flight
    expect(c.raft(1).proposeConfChange({ type: "addLearner", id: 4, address: "a:4" })).toMatchObject({ ok: true });
    // A pending voter-set change still blocks the next one.
    expect(c.raft(1).proposeConfChange({ type: "addLearner", id: 5, address: "a:5" })).toMatchObject({ ok: false, reason: "config_pending" });
  });

  test("a node that learns it is bound to another directory id does not campaign", () => {
    const c = boundCluster();
    // Node 2's own membership binds it to d2; restarted under another id it must not campaign.
    const disk = c.node(2).disk;
    c.directoryIds.set(2, "d2-other");
    c.add(2, disk);
    c.stop(1);
    c.stop(3);
    c.tick(100, [2]);
    expect(c.raft(2).status().role).toBe("follower");
  });

  test("memberships with bindings for non-members or empty ids are invalid", () => {
    const base = { voters: [1, 2], learners: [], addresses: {} };
    expect(isValidMembership({ ...base, directoryIds: { "1": "a" } })).toBe(true);
    expect(isValidMembership({ ...base, directoryIds: { "3": "a" } })).toBe(false);
    expect(isValidMembership({ ...base, directoryIds: { "1": "" } })).toBe(false);
    expect(isValidMembership({ ...base, directoryIds: { "1": "x".repeat(65) } })).toBe(false);
    expect(isValidMembership({ ...base, directoryIds: [] })).toBe(false);
  });
});
