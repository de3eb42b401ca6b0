import { describe, expect, test } from "bun:test";
import { Cluster } from "./harness.ts";
import type { Message, NodeId, ReadState } from "../../src/raft/types.ts";

describe("read index", () => {
  test("leader: a heartbeat round confirms leadership, the read gets the commit index", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const at = c.propose(1, "x");
    c.raft(1).readIndex(42);
    expect(c.node(1).reads).toEqual([]);
    c.stabilize();
    expect(c.node(1).reads).toEqual([{ ctx: 42, index: at, ok: true }]);
    expect(c.sent.some((m) => m.type === "Heartbeat" && m.context !== 0)).toBe(true);
  });

  test("many reads share one heartbeat round", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const before = c.sent.length;
    for (let ctx = 1; ctx <= 5; ctx++) c.raft(1).readIndex(ctx);
    c.stabilize();
    const rounds = c.sent.slice(before).filter((m) => m.type === "Heartbeat" && m.context !== 0);
    expect(rounds.length).toBe(2); // one round, one heartbeat per follower
    expect(c.node(1).reads.map((r) => r.ctx)).toEqual([1, 2, 3, 4, 5]);
    expect(c.node(1).reads.every((r) => r.ok)).toBe(true);
  });

  test("follower: forwarded to the leader, answered with the leader's read index", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const at = c.propose(1, "x");
    c.raft(2).readIndex(7);
    c.stabilize();
    expect(c.node(2).reads).toEqual([{ ctx: 7, index: at, ok: true }]);
  });

  test("follower of three voters: the leader answers at once, no heartbeat round (the asker's acceptance is its ack)", () => {
    const { reads, at, sent } = followerRead([1, 2, 3], 8);
    expect(reads).toEqual([{ ctx: 8, index: at, ok: true }]);
    expect(sent.map((m) => m.type)).toEqual(["ReadIndex", "ReadIndexResp"]);
  });

  test("follower of five voters: leader and asker are no quorum, so a heartbeat round confirms the read", () => {
    const { reads, at, sent } = followerRead([1, 2, 3, 4, 5], 6);
    expect(reads).toEqual([{ ctx: 6, index: at, ok: true }]);
    expect(sent.filter((m) => m.type === "Heartbeat" && m.context !== 0).length).toBe(4);
  });

  test("a learner's read: a learner's word counts toward no quorum, so a heartbeat round confirms it", () => {
    const { reads, at, sent } = followerRead([1, 2], 5, 3, [3]);
    expect(reads).toEqual([{ ctx: 5, index: at, ok: true }]);
    expect(sent.filter((m) => m.type === "Heartbeat" && m.context !== 0).length).toBeGreaterThan(0);
  });

  test("an answer of the leader's term reaching a follower that moved on to a later term fails the read", () => {
    const c = new Cluster([1, 2, 3], { checkQuorum: false, preVote: false });
    c.elect(1);
    c.stabilize();
    c.filter = (m) => m.type !== "ReadIndexResp";
    c.raft(2).readIndex(19);
    c.stabilize();
    const answer = c.sent.find((m) => m.type === "ReadIndexResp" && m.context === 19);
    expect(answer?.term).toBe(1);
    expect(c.node(2).reads).toEqual([]);
    c.filter = () => true;
    c.elect(3);
    expect(c.raft(2).status().term).toBe(2);
    expect(c.node(2).reads).toEqual([{ ctx: 19, index: 0, ok: false }]);
    c.raft(2).step(answer!);
    c.stabilize();
    expect(c.node(2).reads).toEqual([{ ctx: 19, index: 0, ok: false }]);
  });

  test("no leader: the read comes out at once with ok:false", () => {
    const c = new Cluster([1, 2, 3]);
    c.raft(2).readIndex(9);
    c.stabilize();
    expect(c.node(2).reads).toEqual([{ ctx: 9, index: 0, ok: false }]);
  });

  test("single voter: served at once", () => {
    const c = new Cluster([1]);
    c.elect(1);
    c.raft(1).readIndex(3);
    c.stabilize();
    expect(c.node(1).reads).toEqual([{ ctx: 3, index: 1, ok: true }]);
  });

  test("a new leader serves reads only after committing an entry of its term", () => {
    const c = new Cluster([1, 2, 3]);
    c.filter = (m) => m.type !== "AppResp";
    c.elect(1);
    c.raft(1).readIndex(5);
    c.stabilize();
    expect(c.node(1).reads).toEqual([]);
    c.filter = () => true;
    c.tick(2);
    expect(c.node(1).reads).toEqual([{ ctx: 5, index: 1, ok: true }]);
  });

  test("leadership lost: the pending read fails with ok:false", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.isolate(1);
    c.raft(1).readIndex(11);
    c.tick(25, [1]);
    expect(c.raft(1).status().role).toBe("follower");
    expect(c.node(1).reads).toEqual([{ ctx: 11, index: 0, ok: false }]);
  });

  test("a forwarded read whose answer never comes expires with ok:false", () => {
    const c = new Cluster([1, 2, 3], { checkQuorum: false });
    c.elect(1);
    c.filter = (m) => m.type !== "ReadIndex";
    c.raft(2).readIndex(13);
    c.tick(19);
    expect(c.node(2).reads).toEqual([]);
    c.tick(1);
    expect(c.node(2).reads).toEqual([{ ctx: 13, index: 0, ok: false }]);
  });

  test("a deposed leader cannot confirm a read; it fails when it learns the new term", () => {
    const c = new Cluster([1, 2, 3], { checkQuorum: false, preVote: false });
    c.elect(1);
    c.isolate(1);
    c.elect(2);
    c.raft(1).readIndex(17);
    c.stabilize();
    expect(c.node(1).reads).toEqual([]);
    c.heal();
    c.tick(2);
    expect(c.node(1).reads).toEqual([{ ctx: 17, index: 0, ok: false }]);
  });
});

/** Node `asker`'s read `ctx` on a settled cluster led by node 1: its ReadStates, the index of a write before it, the messages it cost. */
function followerRead(voters: NodeId[], ctx: number, asker: NodeId = 2, learners: NodeId[] = []): { reads: ReadState[]; at: number; sent: Message[] } {
  const c = new Cluster(voters, { learners });
  c.elect(1);
  const at = c.propose(1, "x");
  c.stabilize();
  const before = c.sent.length;
  c.raft(asker).readIndex(ctx);
  c.stabilize();
  return { reads: c.node(asker).reads, at, sent: c.sent.slice(before) };
}
