// The two decisions of a safe membership change, pure so they are tested alone: may this learner
// become a voter (caught up and heard from recently), and does a new voter set keep a quorum of
// voters the leader hears from (Raft thesis §4.2.1, KRaft's AddRaftVoter)?
import type { NodeId, PeerStatus } from "../raft/types.ts";

/**
 * A learner is promoted only once its log is within this many entries of the leader's. The bound is
 * about one election timeout of writes at this node's peak rate (~11,000 writes/s measured, 100 ms
 * timeouts): a new voter that close catches up within one or two appends (each carries up to
 * maxMsgBytes, thousands of entries), so promoting it cannot hold commits back for longer than an
 * election timeout even when it counts toward the quorum at once. A looser bound would let a slow
 * voter stall commits; a bound of 0 would never be met under a steady write load.
 */
export const MAX_PROMOTION_LAG_ENTRIES = 1_000;

export interface PromotionLimits {
  /** Largest lag (entries behind the leader's last index) a learner may have to be promoted. */
  maxLag: number;
  /** Ticks within which the leader must have heard from a member for it to count as reachable. */
  recentTicks: number;
  tickMs: number;
}

export type PromotionCheck = { ready: true; note: string } | { ready: false; reason: string };

/** Heard from by the leader within the last `recentTicks` (the window check-quorum uses). */
export function isReachable(peer: PeerStatus | undefined, recentTicks: number): boolean {
  return peer !== undefined && peer.contacted && peer.ticksSinceContact <= recentTicks;
}

/** Whether the member the leader tracks as `peer` may be promoted now, and if not, why not. */
export function promotionCheck(peer: PeerStatus | undefined, leaderLastIndex: number, limits: PromotionLimits): PromotionCheck {
  if (peer === undefined || !peer.contacted) return { ready: false, reason: "never contacted" };
  if (peer.ticksSinceContact > limits.recentTicks) {
    return { ready: false, reason: `not heard from for ${peer.ticksSinceContact * limits.tickMs} ms` };
  }
  const lag = Math.max(0, leaderLastIndex - peer.match);
  if (lag > limits.maxLag) return { ready: false, reason: `catching up: ${lag} entries behind` };
  return { ready: true, note: lag === 0 ? "caught up" : `caught up (${lag} entries behind)` };
}

export function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * Why `nextVoters` would be left without a quorum of reachable voters, or null when it has one.
 * A change that leaves fewer reachable voters than its quorum cannot commit anything after it
 * (and may not even commit itself), which is how the cluster got wedged for good.
 */
export function quorumShortfall(nextVoters: readonly NodeId[], reachable: (id: NodeId) => boolean): string | null {
  const up = nextVoters.filter(reachable);
  const need = quorumOf(nextVoters.length);
  if (up.length >= need) return null;
  const down = nextVoters.filter((id) => !reachable(id));
  return (
    `the new configuration of ${nextVoters.length} voters [${nextVoters.join(", ")}] needs ${need} for a quorum, ` +
    `but only ${up.length} [${up.join(", ")}] were heard from recently (not: ${down.join(", ")})`
  );
}
