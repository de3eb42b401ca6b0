// A leader whose periodic snapshot is due first hands leadership to its most caught-up follower
// and snapshots once it is a follower: a snapshot pauses the node's loop for a time that grows with
// the state, and a leader paused past the election timeout is deposed by an election, which costs
// more (lost proposals, a leaderless gap) than a planned transfer. Bounded: if the transfer has not
// happened within `timeoutMs`, or nobody can take over, the leader snapshots where it stands.
import type { NodeId, RaftStatus } from "../raft/types.ts";

export type HandoffDecision = { action: "snapshot" } | { action: "wait" } | { action: "transfer"; to: NodeId };

export class SnapshotHandoff {
  private startedAt: number | null = null;

  constructor(
    private readonly timeoutMs: number,
    /** A follower silent for more ticks than this is not a candidate to take over. */
    private readonly maxSilentTicks: number,
  ) {}

  /** Called on a leader whose snapshot is due. */
  decide(status: RaftStatus, now: number): HandoffDecision {
    if (this.startedAt !== null) {
      if (now - this.startedAt < this.timeoutMs) return { action: "wait" };
      this.startedAt = null;
      return { action: "snapshot" };
    }
    const to = bestSuccessor(status, this.maxSilentTicks);
    if (to === 0) return { action: "snapshot" };
    this.startedAt = now;
    return { action: "transfer", to };
  }

  reset(): void {
    this.startedAt = null;
  }
}

function bestSuccessor(status: RaftStatus, maxSilentTicks: number): NodeId {
  let best: NodeId = 0;
  let bestMatch = -1;
  for (const p of status.peers) {
    if (p.id === status.id || !p.voter || p.ticksSinceContact > maxSilentTicks) continue;
    if (p.match > bestMatch) {
      best = p.id;
      bestMatch = p.match;
    }
  }
  return best;
}
