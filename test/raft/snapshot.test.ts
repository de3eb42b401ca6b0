import { describe, expect, test } from "bun:test";
import { bytes, Cluster } from "./harness.ts";

function lagging(chunk = 16) {
  const c = new Cluster([1, 2, 3], { snapshotChunkBytes: chunk });
  c.elect(1);
  c.stop(3);
  for (let i = 0; i < 20; i++) c.propose(1, `value-${i}`);
  const snap = c.compact(1);
  c.compact(2);
  expect(c.raft(1).status().firstIndex).toBe(snap.meta.index + 1);
  return { c, snap };
}

/**
 * A transfer to node 3 stalls after two chunks while the leader writes and compacts again; then the
 * link heals. With `pruned`, the snapshot being sent is gone from the leader's disk by then.
 */
function overtaken(pruned: boolean) {
  const { c } = lagging();
  let chunks = 0;
  c.filter = (m) => !(m.type === "Snap" && ++chunks > 2);
  c.heal();
  c.tick(1);
  for (let i = 0; i < 10; i++) c.propose(1, `more-${i}`);
  const newer = c.compact(1);
  if (pruned) c.node(1).disk.older = [];
  c.filter = () => true;
  c.tick(30);
  return { c, newer };
}

/** Node 3, the lagging one, installed `installs` snapshots, stands on the newer one, applied what node 1 did, and replicates again. */
function expectCaughtUpOnNewer({ c, newer }: ReturnType<typeof overtaken>, installs: number): void {
  expect(c.node(3).installedSnapshots).toBe(installs);
  expect(c.raft(3).status().firstIndex).toBe(newer.meta.index + 1);
  expect(c.node(3).applied).toEqual(c.node(1).applied);
  expect(c.raft(1).status().peers.find((p) => p.id === 3)?.state).toBe("replicate");
}

describe("snapshot install", () => {
  test("a follower behind the first log index gets the snapshot in chunks", () => {
    const { c, snap } = lagging();
    c.heal();
    c.tick(3);
    const chunks = c.sent.filter((m) => m.type === "Snap" && m.to === 3);
    expect(chunks.length).toBe(Math.ceil(snap.data.byteLength / 16));
    for (const m of chunks) expect(m.snapshot!.data.byteLength).toBeLessThanOrEqual(16);
    expect(c.node(3).installedSnapshots).toBe(1);
    expect(c.node(3).applied).toEqual(c.node(1).applied);
    expect(c.raft(3).status()).toMatchObject({ firstIndex: snap.meta.index + 1, commit: snap.meta.index });
    expect(c.raft(1).status().peers.find((p) => p.id === 3)?.state).toBe("replicate");
    c.propose(1, "after");
    c.tick(2);
    expect(c.node(3).applied.at(-1)).toBe("after");
  });

  test("a lost chunk is re-sent after a quiet election timeout", () => {
    const { c } = lagging();
    let dropped = 0;
    c.filter = (m) => {
      if (m.type === "Snap" && m.snapshot!.offset === 32 && dropped === 0) {
        dropped++;
        return false;
      }
      return true;
    };
    c.heal();
    c.tick(3);
    expect(dropped).toBe(1);
    expect(c.node(3).installedSnapshots).toBe(0);
    c.tick(25);
    expect(c.node(3).installedSnapshots).toBe(1);
    expect(c.node(3).applied).toEqual(c.node(1).applied);
  });

  test("a follower restarted mid-transfer makes the leader start over from offset 0", () => {
    const { c } = lagging();
    let chunks = 0;
    c.filter = (m) => !(m.type === "Snap" && ++chunks > 3);
    c.heal();
    c.tick(2);
    c.restart(3);
    c.filter = () => true;
    c.tick(25);
    const snaps = c.sent.filter((m) => m.type === "SnapResp" && m.from === 3);
    expect(snaps.some((m) => m.reject)).toBe(true);
    expect(c.node(3).applied).toEqual(c.node(1).applied);
  });

  test("a node restarts from its snapshot plus the entries after it", () => {
    const { c } = lagging();
    c.heal();
    c.tick(3);
    c.propose(1, "tail");
    c.tick(2);
    const before = c.node(3).applied;
    const node = c.restart(3);
    expect(node.raft.status().firstIndex).toBe(c.raft(1).status().firstIndex);
    c.tick(2);
    expect(c.node(3).applied).toEqual(before);
  });

  test("compaction beyond the applied index is refused", () => {
    const c = new Cluster([1]);
    c.elect(1);
    c.propose(1, "x");
    const status = c.raft(1).status();
    const bad = { meta: { index: status.lastIndex + 5, term: status.term, membership: status.membership }, data: bytes("[]") };
    expect(() => c.raft(1).compact(bad)).toThrow(/only 2 is applied/);
  });

  test("an empty snapshot (zero bytes) installs with one chunk", () => {
    const c = new Cluster([1], { learners: [2] });
    c.elect(1);
    c.stop(2);
    c.propose(1, "a");
    const s = c.raft(1).status();
    const empty = { meta: { index: s.applied, term: s.term, membership: s.membership }, data: new Uint8Array(0) };
    c.raft(1).compact(empty);
    c.node(1).disk.snapshot = empty; // where the chunks are filled from
    c.heal();
    c.tick(2);
    const chunks = c.sent.filter((m) => m.type === "Snap");
    expect(chunks.length).toBe(1);
    expect(chunks[0].snapshot).toMatchObject({ offset: 0, total: 0, done: true });
    expect(c.node(2).installedSnapshots).toBe(1);
    expect(c.raft(2).status().commit).toBe(s.applied);
  });
});

describe("snapshot bytes stay in storage (issue 10)", () => {
  test("the core holds the snapshot's meta and size only; each chunk leaves it empty and is filled from the disk", () => {
    const { c, snap } = lagging();
    const sent: number[] = [];
    c.filter = (m) => {
      if (m.type === "Snap") sent.push(m.snapshot!.data.byteLength);
      return true;
    };
    const leader = c.raft(1);
    const ready = leader.ready.bind(leader);
    const fromCore: number[] = [];
    leader.ready = () => {
      const rd = ready();
      for (const m of rd.messages) if (m.type === "Snap") fromCore.push(m.snapshot!.data.byteLength);
      return rd;
    };
    c.heal();
    c.tick(3);
    expect(fromCore.length).toBe(Math.ceil(snap.data.byteLength / 16));
    expect(fromCore.every((n) => n === 0)).toBe(true);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(snap.data.byteLength);
    expect(c.node(3).applied).toEqual(c.node(1).applied);
  });

  test("a transfer whose snapshot was pruned from the disk begins anew from the latest", () => {
    expectCaughtUpOnNewer(overtaken(true), 1);
  });

  test("a report about a transfer not in progress changes nothing", () => {
    const { c } = lagging();
    const before = c.raft(1).status().peers;
    c.raft(1).snapshotUnavailable(3, 999);
    c.raft(2).snapshotUnavailable(3, 1); // not the leader
    expect(c.raft(1).status().peers).toEqual(before);
  });
});

describe("snapshot transfer edge cases (simulator finding 1, seed 581)", () => {
  test("a transfer overtaken by a newer compaction is followed by the newer snapshot", () => {
    expectCaughtUpOnNewer(overtaken(false), 2);
  });
});
