import { describe, expect, test } from "bun:test";
import { bytes, Cluster } from "./harness.ts";

describe("leadership transfer", () => {
  test("to a caught-up voter: TimeoutNow, and it wins at once despite pre-vote and leases", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, "x");
    const term = c.raft(1).status().term;
    c.raft(1).transferLeader(2);
    c.stabilize();
    expect(c.leaders()).toEqual([2]);
    expect(c.raft(2).status().term).toBe(term + 1);
    expect(c.raft(1).status()).toMatchObject({ role: "follower", leader: 2 });
    expect(c.sent.filter((m) => m.type === "Vote" && m.from === 2).every((m) => m.force)).toBe(true);
    c.propose(2, "y");
    expect(c.node(1).applied).toEqual(["x", "y"]);
  });

  test("to a lagging voter: it is caught up first", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.stop(3);
    for (let i = 0; i < 10; i++) c.propose(1, `e${i}`);
    c.heal();
    c.raft(1).transferLeader(3);
    c.stabilize();
    expect(c.leaders()).toEqual([3]);
    expect(c.raft(3).status().lastIndex).toBeGreaterThanOrEqual(12);
  });

  test("proposals are refused while transferring; the transfer aborts after an election timeout", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.cutLink(1, 3);
    c.raft(1).transferLeader(3);
    c.stabilize();
    expect(c.raft(1).propose(bytes("during"))).toMatchObject({ ok: false, reason: "transferring" });
    c.tick(12);
    expect(c.leaders()).toEqual([1]);
    expect(c.raft(1).propose(bytes("after")).ok).toBe(true);
  });

  test("a transfer to itself, a learner or a stranger is ignored", () => {
    const c = new Cluster([1, 2], { learners: [3] });
    c.elect(1);
    for (const to of [1, 3, 9]) {
      c.raft(1).transferLeader(to);
      c.stabilize();
      expect(c.leaders()).toEqual([1]);
      expect(c.raft(1).propose(bytes(`p${to}`)).ok).toBe(true);
    }
    expect(c.sent.some((m) => m.type === "TimeoutNow")).toBe(false);
  });
});
