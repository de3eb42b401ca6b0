import { describe, expect, test } from "bun:test";
import { Raft } from "../../src/raft/index.ts";
import { Cluster } from "./harness.ts";

describe("elections", () => {
  test("a three-node cluster elects exactly one leader by timeout", () => {
    const c = new Cluster([1, 2, 3], { seed: 7 });
    const leader = c.awaitLeader();
    expect(c.leaders()).toEqual([leader]);
    const s = c.raft(leader).status();
    for (const id of [1, 2, 3]) {
      expect(c.raft(id).status().leader).toBe(leader);
      expect(c.raft(id).status().term).toBe(s.term);
    }
    // the new leader's no-op commits everywhere
    expect(s.commit).toBe(1);
    c.tick(2);
    for (const id of [1, 2, 3]) expect(c.raft(id).status().commit).toBe(1);
  });

  test("a single-voter cluster elects itself and commits on its own", () => {
    const c = new Cluster([1]);
    c.elect(1);
    expect(c.leaders()).toEqual([1]);
    const i = c.propose(1, "x");
    expect(c.raft(1).status().commit).toBe(i);
    expect(c.node(1).applied).toEqual(["x"]);
  });

  test("split vote: nobody wins, a later round elects one leader", () => {
    const c = new Cluster([1, 2, 3, 4], { preVote: false, seed: 3 });
    // 1 and 2 campaign in the same term; 3 votes for 1, 4 for 2: 2 of 4 is no majority.
    c.filter = (m) => !(m.type === "Vote" && ((m.from === 1 && m.to === 4) || (m.from === 2 && m.to === 3)));
    c.raft(1).campaign();
    c.raft(2).campaign();
    c.stabilize();
    expect(c.leaders()).toEqual([]);
    expect(c.raft(1).status().term).toBe(1);
    expect(c.raft(2).status().term).toBe(1);
    c.filter = () => true;
    const leader = c.awaitLeader();
    expect(c.raft(leader).status().term).toBeGreaterThan(1);
  });

  test("a candidate with a stale log is refused (§5.4.1)", () => {
    const c = new Cluster([1, 2, 3], { preVote: false });
    c.elect(1);
    c.stop(3);
    c.propose(1, "a");
    c.heal();
    // 3 missed entry 2; its vote request must fail with 1 and 2.
    c.raft(3).campaign();
    c.stabilize();
    expect(c.raft(3).status().role).not.toBe("leader");
    expect(c.raft(2).status().vote).toBe(1);
  });

  test("pre-vote keeps a rejoining partitioned node from disrupting the leader", () => {
    const c = new Cluster([1, 2, 3], { seed: 11 });
    c.elect(1);
    const term = c.raft(1).status().term;
    c.isolate(3);
    c.tick(60); // 3 times out again and again but only pre-votes: its term stays
    expect(c.raft(3).status().term).toBe(term);
    expect(c.raft(3).status().role).toBe("pre-candidate");
    c.heal();
    c.tick(5);
    expect(c.leaders()).toEqual([1]);
    expect(c.raft(1).status().term).toBe(term);
    expect(c.raft(3).status().leader).toBe(1);
  });

  test("without pre-vote the rejoining node forces a new term (the contrast)", () => {
    const c = new Cluster([1, 2, 3], { seed: 11, preVote: false, checkQuorum: false });
    c.elect(1);
    const term = c.raft(1).status().term;
    c.isolate(3);
    c.tick(40);
    expect(c.raft(3).status().term).toBeGreaterThan(term);
    c.heal();
    c.tick(40);
    expect(c.raft(1).status().term).toBeGreaterThan(term);
  });

  test("check-quorum: a leader cut off from the majority steps down", () => {
    const c = new Cluster([1, 2, 3], { seed: 5 });
    c.elect(1);
    c.isolate(1);
    c.tick(25, [1]);
    expect(c.raft(1).status().role).toBe("follower");
    expect(c.raft(1).status().leader).toBe(0);
  });

  test("a leader that hears from a majority stays leader", () => {
    const c = new Cluster([1, 2, 3], { seed: 5 });
    c.elect(1);
    c.isolate(3);
    c.tick(50);
    expect(c.leaders()).toEqual([1]);
  });

  test("a higher-term message turns a leader into a follower", () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.elect(1);
    c.isolate(1);
    c.elect(2);
    expect(c.raft(2).status().role).toBe("leader");
    c.heal();
    c.tick(2);
    expect(c.leaders()).toEqual([2]);
    expect(c.raft(1).status().leader).toBe(2);
  });

  test("a stale leader's App is answered with the current term", () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.elect(1);
    c.isolate(1);
    c.elect(2);
    c.heal();
    c.raft(1).propose(new TextEncoder().encode("stale"));
    c.stabilize();
    expect(c.raft(1).status().role).toBe("follower");
    expect(c.raft(1).status().term).toBe(c.raft(2).status().term);
    expect(c.node(2).applied).not.toContain("stale");
  });

  test("a learner never campaigns", () => {
    const c = new Cluster([1], { learners: [2] });
    c.tick(100, [2]);
    expect(c.raft(2).status().role).toBe("follower");
    expect(c.raft(2).status().term).toBe(0);
  });

  test("election timeouts are drawn in [e, 2e) from config.random", () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const c = new Cluster([1, 2, 3], { electionTick: 10, seed });
      let ticks = 0;
      while (c.raft(1).status().role === "follower" && ticks < 100) {
        c.raft(1).tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  test("role changes are logged through config.logger with node, term and role", () => {
    const events: { event: string; fields: Record<string, unknown> }[] = [];
    const c = new Cluster([1], {
      factory: (cfg, r) => new Raft({ ...cfg, logger: (event, fields) => events.push({ event, fields }) }, r),
    });
    c.elect(1);
    for (let i = 0; i < 5; i++) c.propose(1, `x${i}`);
    const roles = events.filter((e) => e.event === "raft.role").map((e) => e.fields.role);
    expect(roles).toEqual(["follower", "pre-candidate", "candidate", "leader"]);
    expect(events.find((e) => e.fields.role === "leader")?.fields).toMatchObject({ node: 1, term: 1, leader: 1 });
    expect(events.length).toBeLessThan(10); // nothing per entry
  });

  test("electionElapsedTicks counts a follower's ticks since it heard the leader, and only reads", () => {
    const c = new Cluster([1, 2, 3], { heartbeatTick: 3 });
    c.elect(1);
    expect(c.raft(2).electionElapsedTicks()).toBe(0);
    c.tick(2, [2]); // only node 2's clock moves: no heartbeat meanwhile
    expect(c.raft(2).electionElapsedTicks()).toBe(2);
    expect(c.raft(2).electionElapsedTicks()).toBe(2); // reading it changed nothing
    c.tick(3, [1]); // the leader's heartbeat resets it
    expect(c.raft(2).electionElapsedTicks()).toBe(0);
    expect(c.raft(2).status().role).toBe("follower");
  });
});
