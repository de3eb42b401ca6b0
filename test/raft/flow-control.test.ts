// Flow control to one follower (issue 9 §5, as etcd-raft): the inflight window is bounded in Apps
// and in bytes, a follower that never answers costs the leader a bounded amount however long its
// backlog grows, and a follower that answers heartbeats but not Apps gets at most one App per
// heartbeat interval, even when ReadIndex rounds send heartbeats far more often.
import { describe, expect, test } from "bun:test";
import { Inflights } from "../../src/raft/inflights.ts";
import { emptyMessage, type Message } from "../../src/raft/types.ts";
import { Cluster } from "./harness.ts";

const ENTRY_OVERHEAD = 24;

function entryBytes(m: Message): number {
  return m.entries.reduce((n, e) => n + e.data.byteLength + ENTRY_OVERHEAD, 0);
}

function appsTo(c: Cluster, to: number, from: number): Message[] {
  return c.sent.slice(from).filter((m) => m.type === "App" && m.to === to && m.entries.length > 0);
}

describe("the inflight window", () => {
  test("is full at its count or at its byte bound, and frees both on acknowledgement", () => {
    const w = new Inflights(4, 100);
    w.add(1, 60);
    expect(w.full()).toBe(false);
    w.add(2, 50);
    expect(w.full()).toBe(true);
    expect(w.bytes()).toBe(110);
    expect(() => w.add(3, 1)).toThrow(/full/);
    w.freeLE(1);
    expect(w.bytes()).toBe(50);
    expect(w.full()).toBe(false);
    w.freeFirstOne();
    expect(w.bytes()).toBe(0);
    expect(w.size()).toBe(0);
    for (let i = 1; i <= 4; i++) w.add(10 + i, 1);
    expect(w.full()).toBe(true);
  });

  test("refuses an index that does not grow and a negative size", () => {
    const w = new Inflights(4, 100);
    w.add(5, 10);
    expect(() => w.add(5, 10)).toThrow(/not above/);
    expect(() => w.add(6, -1)).toThrow(/non-negative/);
  });
});

describe("a follower that does not acknowledge", () => {
  test("pipelining stops at the byte bound well before the count bound", () => {
    const c = new Cluster([1, 2, 3], { maxInflight: 64, maxMsgBytes: 200, maxInflightBytes: 400 });
    c.elect(1);
    c.tick(1);
    const before = c.sent.length;
    c.filter = (m) => !(m.type === "AppResp" && m.from === 2);
    for (let i = 0; i < 40; i++) c.propose(1, `entry-${String(i).padStart(3, "0")}-${"x".repeat(60)}`);
    const bytes = appsTo(c, 2, before).reduce((n, m) => n + entryBytes(m), 0);
    // The window may pass its bound by one App.
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(400 + 200);
    expect(appsTo(c, 2, before).length).toBeLessThan(64);
    c.filter = () => true;
    c.tick(5);
    expect(c.node(2).applied.length).toBe(40);
  });

  test("a deaf follower costs the leader a bounded number of Apps however long its backlog grows", () => {
    const c = new Cluster([1, 2, 3], { maxInflight: 8, maxMsgBytes: 300, maxInflightBytes: 600 });
    c.elect(1);
    c.tick(1);
    const before = c.sent.length;
    c.filter = (m) => m.to !== 2;
    const sentAfter = (rounds: number): number => {
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < 10; i++) c.propose(1, `r${r}-${i}-${"y".repeat(40)}`);
        c.tick(1);
      }
      return appsTo(c, 2, before).reduce((n, m) => n + entryBytes(m), 0);
    };
    const early = sentAfter(5);
    const late = sentAfter(50);
    expect(late).toBe(early);
    expect(late).toBeLessThan(600 + 300);
    expect(c.raft(1).status().role).toBe("leader");
    c.filter = () => true;
    c.tick(20);
    expect(c.node(2).applied).toEqual(c.node(1).applied);
  });

  test("a follower that answers heartbeats but never Apps gets at most one App per heartbeat interval", () => {
    const heartbeatTick = 3;
    const c = new Cluster([1, 2, 3], { heartbeatTick, electionTick: 20, maxInflight: 2, maxMsgBytes: 200, maxInflightBytes: 200 });
    c.elect(1);
    c.tick(1);
    // Apps to 2 vanish (as when a transport queue drops them); heartbeats and their answers pass.
    c.filter = (m) => !(m.type === "App" && m.to === 2);
    for (let i = 0; i < 10; i++) c.propose(1, `p${i}-${"z".repeat(50)}`);
    const before = c.sent.length;
    const intervals = 10;
    let ctx = 1;
    for (let t = 0; t < intervals * heartbeatTick; t++) {
      // Many ReadIndex rounds per tick: each broadcasts a heartbeat that node 2 answers.
      for (let r = 0; r < 5; r++) c.raft(1).readIndex(ctx++);
      c.stabilize();
      c.tick(1);
    }
    const apps = c.sent.slice(before).filter((m) => m.type === "App" && m.to === 2);
    expect(apps.length).toBeGreaterThan(0);
    expect(apps.length).toBeLessThanOrEqual(intervals + 1);
    c.filter = () => true;
    c.tick(3 * heartbeatTick);
    expect(c.node(2).applied).toEqual(c.node(1).applied);
  });

  test("a probed follower that never answers gets one probe, not one per tick", () => {
    const c = new Cluster([1, 2, 3], { heartbeatTick: 1, electionTick: 10 });
    c.elect(1);
    c.stop(3);
    for (let i = 0; i < 5; i++) c.propose(1, `q${i}`);
    c.heal();
    // Leadership moves to 2, whose progress for 3 starts in probe; 3 hears nothing from 2.
    c.filter = (m) => !(m.from === 2 && m.to === 3);
    c.raft(1).transferLeader(2);
    c.tick(3);
    expect(c.leaders()).toEqual([2]);
    const before = c.sent.length;
    c.tick(40, [1, 2]);
    const probes = c.sent.slice(before).filter((m) => m.type === "App" && m.from === 2 && m.to === 3);
    expect(probes.length).toBeLessThanOrEqual(1);
  });
});

describe("a snapshot transfer", () => {
  test("is not restarted by answers to Apps sent before it began", () => {
    const c = new Cluster([1, 2, 3], { snapshotChunkBytes: 8 });
    c.elect(1);
    for (let i = 0; i < 4; i++) c.propose(1, `early-${i}`);
    c.stop(3);
    for (let i = 0; i < 20; i++) c.propose(1, `late-${i}`);
    const snap = c.compact(1);
    c.heal();
    // Chunks never arrive, so the transfer stays open; the rest of the traffic flows.
    c.filter = (m) => m.type !== "Snap";
    c.tick(3);
    const status = () => c.raft(1).status().peers.find((p) => p.id === 3);
    expect(status()?.state).toBe("snapshot");
    const before = c.sent.length;
    const term = c.raft(1).status().term;
    // A link that held the follower's answers to old Apps delivers them all at once.
    for (let index = 1; index <= 5; index++) c.raft(1).step({ ...emptyMessage("AppResp", 3, 1, term), index });
    c.stabilize();
    const restarts = c.sent.slice(before).filter((m) => m.type === "Snap" && m.to === 3 && m.snapshot?.offset === 0);
    expect(restarts).toHaveLength(0);
    expect(status()?.state).toBe("snapshot");
    expect(status()?.match).toBe(5);
    expect(snap.meta.index).toBeGreaterThan(5);
    c.filter = () => true;
    c.tick(30);
    expect(c.node(3).applied).toEqual(c.node(1).applied);
  });

  test("a follower that hears nothing is not sent chunk after chunk; it gets one once it answers again", () => {
    const c = new Cluster([1, 2, 3], { snapshotChunkBytes: 8, electionTick: 10, heartbeatTick: 1 });
    c.elect(1);
    c.stop(3);
    for (let i = 0; i < 10; i++) c.propose(1, `v-${i}`);
    c.compact(1);
    c.heal();
    // Node 3 answers a heartbeat, so the transfer starts (its first chunk is lost); then it hears nothing more.
    c.filter = (m) => !(m.type === "Snap" && m.to === 3);
    c.tick(2);
    expect(c.raft(1).status().peers.find((p) => p.id === 3)?.state).toBe("snapshot");
    c.filter = (m) => m.to !== 3;
    const before = c.sent.length;
    c.tick(100, [1, 2]);
    const chunks = () => c.sent.slice(before).filter((m) => m.type === "Snap" && m.to === 3).length;
    expect(chunks()).toBeLessThanOrEqual(1);
    // Heard again: heartbeats and chunks flow, the transfer completes.
    c.filter = () => true;
    c.tick(40);
    expect(c.node(3).applied).toEqual(c.node(1).applied);
  });
});
