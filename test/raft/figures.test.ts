// The logs of the Raft paper's figures 7 and 8, replayed against the core.
import { describe, expect, test } from "bun:test";
import { Raft, type Entry, type Message, type RaftConfig, type RestoreState } from "../../src/raft/index.ts";
import { bytes, Cluster, text, type Disk } from "./harness.ts";

function entries(terms: number[], tag: string): Entry[] {
  return terms.map((term, i) => ({ index: i + 1, term, type: "normal" as const, data: bytes(`${tag}${i + 1}@${term}`) }));
}

function disk(terms: number[], term: number, tag: string, commit = 1): Disk {
  return { hardState: { term, vote: 0, commit }, snapshot: null, entries: entries(terms, tag) };
}

const LEADER_LOG = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
const FOLLOWERS: Record<string, number[]> = {
  a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
  b: [1, 1, 1, 4],
  c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
  d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
  e: [1, 1, 1, 4, 4, 4, 4],
  f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
};

describe("figure 7: the leader brings every possible follower log in line", () => {
  for (const [name, log] of Object.entries(FOLLOWERS)) {
    test(`follower (${name})`, () => {
      const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
      // Shared entries carry the same payload on every node (log matching); divergent ones differ.
      c.add(1, disk(LEADER_LOG, 7, "x"));
      c.add(2, { ...disk(log, 7, "x"), entries: entries(log, "x").map((e, i) => (LEADER_LOG[i] === e.term && i < 10 ? e : { ...e, data: bytes(`${name}${i + 1}`) })) });
      c.add(3, disk(LEADER_LOG, 7, "x"));
      c.elect(1);
      expect(c.raft(1).status()).toMatchObject({ role: "leader", term: 8 });
      c.tick(3);
      const leaderLog = c.node(1).disk.entries;
      expect(leaderLog.map((e) => e.term)).toEqual([...LEADER_LOG, 8]);
      expect(c.node(2).disk.entries.map((e) => e.term)).toEqual([...LEADER_LOG, 8]);
      expect(c.node(2).disk.entries.map((e) => text(e.data))).toEqual(leaderLog.map((e) => text(e.data)));
      expect(c.raft(2).status().commit).toBe(11);
    });
  }
});

/** Figure 8's bug: commit whatever a majority holds, whatever its term. */
class CountingAnyTermRaft extends Raft {
  protected override maybeCommit(): boolean {
    const index = this.quorumMatchIndex();
    if (index <= this.log.committed) return false;
    this.commitTo(index);
    return true;
  }
}

/**
 * Figure 8 (c)→(d): S1 leads in term 4 and gets its term-2 entry at index 2 onto S2 and S3 — a
 * majority — but its own term-4 entry stays on S1 alone. Then S1 crashes and S5 (holding index 2
 * from term 3) is elected and overwrites index 2 everywhere.
 */
function figure8(factory?: (c: RaftConfig, r: RestoreState) => Raft) {
  const c = new Cluster([1, 2, 3, 4, 5], { preVote: false, checkQuorum: false, factory });
  c.add(1, disk([1, 2], 3, "s1-"));
  c.add(2, { ...disk([1, 2], 3, "s1-") });
  c.add(3, disk([1], 3, "s1-"));
  c.add(4, disk([1], 3, "s1-"));
  c.add(5, { ...disk([1], 3, "s1-"), entries: [...entries([1], "s1-"), { index: 2, term: 3, type: "normal", data: bytes("s5-2@3") }] });
  c.cutLink(1, 4);
  c.cutLink(1, 5);
  // S1's Apps deliver nothing from index 3 on: its term-4 entry stays on S1 only.
  c.filter = (m: Message) => {
    if (m.type === "App" && m.from === 1) m.entries = m.entries.filter((e) => e.index < 3);
    return true;
  };
  c.elect(1);
  expect(c.raft(1).status()).toMatchObject({ role: "leader", term: 4 });
  c.tick(3);
  return c;
}

describe("figure 8: a leader must not commit a previous-term entry by counting replicas", () => {
  test("the correct core leaves index 2 uncommitted, so S5 may safely overwrite it", () => {
    const c = figure8();
    const peers = c.raft(1).status().peers;
    expect(peers.filter((p) => p.match >= 2).map((p) => p.id).sort()).toEqual([1, 2, 3]);
    expect(c.raft(1).status().commit).toBe(1);
    c.stop(1);
    c.filter = () => true;
    c.elect(5); // term 4: S2 and S3 already voted for S1
    c.elect(5); // term 5, as in the paper
    expect(c.raft(5).status().role).toBe("leader");
    c.tick(3, [2, 3, 4, 5]);
    for (const id of [2, 3, 4, 5]) expect(text(c.node(id).disk.entries[1].data)).toBe("s5-2@3");
    for (const id of [1, 2, 3, 4, 5]) expect(c.node(id).applied).not.toContain("s1-2@2");
    c.heal();
    c.tick(3);
    expect(text(c.node(1).disk.entries[1].data)).toBe("s5-2@3");
  });

  test("the injected bug commits index 2 by counting, and S5 then overwrites a committed entry", () => {
    const c = figure8((cfg, r) => new CountingAnyTermRaft(cfg, r));
    expect(c.raft(1).status().commit).toBe(2);
    expect(c.node(1).applied).toContain("s1-2@2");
    c.stop(1);
    c.filter = () => true;
    c.elect(5); // term 4: S2 and S3 already voted for S1
    c.elect(5); // term 5, as in the paper
    // Leader completeness is broken: the new leader lacks an entry S1 already applied.
    expect(c.raft(5).status().role).toBe("leader");
    expect(text(c.node(5).disk.entries[1].data)).toBe("s5-2@3");
  });
});
