import { describe, expect, test } from "bun:test";
import { emptyMessage, Raft, type Message } from "../../src/raft/index.ts";
import { bytes, Cluster, membership } from "./harness.ts";

describe("log replication", () => {
  test("proposals are replicated, committed and applied in order everywhere", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    for (let i = 0; i < 20; i++) c.propose(1, `v${i}`);
    c.tick(2);
    const want = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const id of [1, 2, 3]) {
      expect(c.node(id).applied).toEqual(want);
      expect(c.raft(id).status().commit).toBe(21);
      expect(c.raft(id).commitIndex()).toBe(21); // the accessor a driver asks after every event
    }
  });

  test("a follower proposal is refused with the leader's id", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const r = c.raft(2).propose(bytes("x"));
    expect(r).toMatchObject({ ok: false, reason: "not_leader", leader: 1 });
  });

  test("an oversized proposal is refused as invalid and writes nothing", () => {
    const c = new Cluster([1, 2, 3], { maxMsgBytes: 100 });
    c.elect(1);
    const last = c.raft(1).status().lastIndex;
    const r = c.raft(1).propose(new Uint8Array(200));
    expect(r).toMatchObject({ ok: false, reason: "invalid" });
    expect(c.raft(1).status().lastIndex).toBe(last);
  });

  test("App messages stay within maxMsgBytes (each still carries at least one entry)", () => {
    const c = new Cluster([1, 2, 3], { maxMsgBytes: 100 });
    c.elect(1);
    c.stop(3);
    for (let i = 0; i < 10; i++) c.propose(1, "x".repeat(40));
    c.heal();
    c.tick(3);
    const apps = c.sent.filter((m) => m.type === "App" && m.to === 3 && m.entries.length > 0);
    expect(apps.length).toBeGreaterThan(1);
    for (const m of apps) {
      const size = m.entries.reduce((n, e) => n + e.data.byteLength + 24, 0);
      expect(m.entries.length === 1 || size <= 100).toBe(true);
    }
    expect(c.node(3).applied.length).toBe(10);
  });

  test("pipelining stops at maxInflight unacknowledged Apps", () => {
    const c = new Cluster([1, 2, 3], { maxInflight: 2 });
    c.elect(1);
    c.tick(1);
    const before = c.sent.length;
    c.filter = (m) => !(m.type === "AppResp" && m.from === 2);
    for (let i = 0; i < 6; i++) c.propose(1, `p${i}`);
    const apps = c.sent.slice(before).filter((m) => m.type === "App" && m.to === 2 && m.entries.length > 0);
    expect(apps.length).toBe(2);
    c.filter = () => true;
    c.tick(3);
    expect(c.node(2).applied.length).toBe(6);
  });

  test("a lagging follower is caught up with fast back-off", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.stop(3);
    for (let i = 0; i < 30; i++) c.propose(1, `e${i}`);
    c.heal();
    c.tick(3);
    expect(c.node(3).applied.length).toBe(30);
    expect(c.raft(1).status().peers.find((p) => p.id === 3)?.state).toBe("replicate");
  });

  test("a restarted follower keeps what it persisted and catches up", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    for (let i = 0; i < 5; i++) c.propose(1, `a${i}`);
    c.restart(2);
    expect(c.raft(2).status().lastIndex).toBe(6);
    for (let i = 0; i < 5; i++) c.propose(1, `b${i}`);
    c.tick(3);
    expect(c.node(2).applied).toEqual(c.node(1).applied);
  });

  test("the leader counts itself only for entries it was told are durable", () => {
    const r = new Raft(
      { id: 1, electionTick: 10, heartbeatTick: 1, random: () => 0.5, maxMsgBytes: 1 << 16, maxInflight: 8, maxInflightBytes: 1 << 20, snapshotChunkBytes: 1024, preVote: false, checkQuorum: false, initialMembership: membership([1]) },
      { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [], applied: 0 },
    );
    r.campaign();
    const rd1 = r.ready();
    expect(rd1.entries.map((e) => e.index)).toEqual([1]);
    expect(rd1.committed).toEqual([]);
    expect(r.status().commit).toBe(0);
    r.advance(rd1);
    expect(r.status().commit).toBe(1);
    const p = r.propose(bytes("x"));
    expect(p.ok).toBe(true);
    expect(r.status().commit).toBe(1);
    const rd2 = r.ready();
    expect(rd2.committed.map((e) => e.index)).toEqual([1]);
    r.advance(rd2);
    const rd3 = r.ready();
    expect(rd3.committed.map((e) => e.index)).toEqual([2]);
    r.advance(rd3);
  });

  test("a vote is granted only in a Ready that persists it", () => {
    const r = new Raft(
      { id: 2, electionTick: 10, heartbeatTick: 1, random: () => 0.5, maxMsgBytes: 1 << 16, maxInflight: 8, maxInflightBytes: 1 << 20, snapshotChunkBytes: 1024, preVote: false, checkQuorum: false, initialMembership: membership([1, 2, 3]) },
      { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [], applied: 0 },
    );
    r.step({ ...emptyMessage("Vote", 1, 2, 1) });
    const rd = r.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(rd.messages).toMatchObject([{ type: "VoteResp", to: 1, term: 1, reject: false }]);
  });

  test("advance() refuses a Ready it did not hand out", () => {
    const c = new Cluster([1]);
    c.raft(1).campaign();
    const rd = c.raft(1).ready();
    expect(() => c.raft(1).advance({ ...rd })).toThrow(/oldest outstanding Ready/);
  });

  test("garbled and misaddressed messages are ignored without a throw", () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const base = c.raft(2).status();
    const bad: Message[] = [
      { ...emptyMessage("App", 1, 3, base.term) }, // not addressed to 2
      { ...emptyMessage("App", 1, 2, -1) },
      { ...emptyMessage("App", 0, 2, base.term) },
      { ...emptyMessage("App", 1, 2, base.term), index: 1, logTerm: 1, entries: [{ index: 5, term: 1, type: "normal", data: new Uint8Array() }] },
      { ...emptyMessage("App", 1, 2, base.term), index: 1, logTerm: 1, entries: [{ index: 2, term: 1, type: "config", data: bytes("{nope") }] },
      { ...emptyMessage("Snap", 1, 2, base.term) },
      { ...emptyMessage("Bogus" as Message["type"], 1, 2, base.term) },
      { ...emptyMessage("AppResp", 3, 1, base.term), index: 999 }, // beyond the leader's log
    ];
    for (const m of bad) {
      expect(() => c.raft(m.to === 1 ? 1 : 2).step(m)).not.toThrow();
    }
    c.stabilize();
    expect(c.raft(2).status().lastIndex).toBe(base.lastIndex);
    expect(c.raft(1).status().commit).toBe(base.commit);
  });
});
