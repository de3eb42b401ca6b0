// The leader's choice when its snapshot is due: hand off to the best follower, wait, or give up.
import { describe, expect, test } from "bun:test";
import { SnapshotHandoff } from "../../src/node/snapshot-handoff.ts";
import type { PeerStatus, RaftStatus } from "../../src/raft/types.ts";

function status(peers: Partial<PeerStatus>[]): RaftStatus {
  return {
    id: 1,
    role: "leader",
    leader: 1,
    term: 3,
    vote: 1,
    commit: 100,
    applied: 100,
    firstIndex: 1,
    lastIndex: 100,
    membership: { voters: [1, 2, 3], learners: [], addresses: {} },
    peers: peers.map((p) => ({ id: 0, voter: true, match: 0, next: 0, state: "replicate", ticksSinceContact: 0, ...p })),
  };
}

describe("SnapshotHandoff", () => {
  test("hands off to the most caught-up voter heard from recently, then waits, then gives up", () => {
    const h = new SnapshotHandoff(500, 10);
    const s = status([
      { id: 1, match: 100 },
      { id: 2, match: 90 },
      { id: 3, match: 99, ticksSinceContact: 50 },
      { id: 4, match: 100, voter: false },
    ]);
    expect(h.decide(s, 0)).toEqual({ action: "transfer", to: 2 });
    expect(h.decide(s, 499)).toEqual({ action: "wait" });
    expect(h.decide(s, 500)).toEqual({ action: "snapshot" });
    expect(h.decide(s, 501)).toEqual({ action: "transfer", to: 2 });
    h.reset();
    expect(h.decide(s, 502)).toEqual({ action: "transfer", to: 2 });
  });

  test("snapshots in place when nobody can take over (a one-node cluster)", () => {
    expect(new SnapshotHandoff(500, 10).decide(status([{ id: 1, match: 100 }]), 0)).toEqual({ action: "snapshot" });
  });
});
