// Shapes the core's RaftStatus into the ClusterStatus the API and console show; on the leader each
// learner says why it is not a voter yet (the same check that gates its promotion).
import { boundDirectory } from "../raft/directory-ids.ts";
import type { RaftStatus } from "../raft/types.ts";
import type { ClusterStatus, VoterStatus } from "./contracts.ts";
import { type PromotionLimits, promotionCheck } from "./promotion.ts";

export function toClusterStatus(s: RaftStatus, clusterId: string, limits: PromotionLimits): ClusterStatus {
  return {
    nodeId: s.id,
    clusterId,
    role: s.role,
    leader: s.leader,
    term: s.term,
    commitOffset: s.commit,
    appliedOffset: s.applied,
    firstOffset: s.firstIndex,
    lastOffset: s.lastIndex,
    directoryId: s.directoryId,
    membership: s.membership,
    members: s.role === "leader" ? leaderView(s, limits) : [ownEntry(s)],
  };
}

function leaderView(s: RaftStatus, limits: PromotionLimits): VoterStatus[] {
  return s.peers.map((p) => {
    const self = p.id === s.id;
    const end = self ? s.lastIndex : p.match;
    const check = p.voter ? null : promotionCheck(p, s.lastIndex, limits);
    return {
      id: p.id,
      address: s.membership.addresses[String(p.id)] ?? "",
      voter: p.voter,
      logEndOffset: end,
      lag: Math.max(0, s.lastIndex - end),
      lastContactMs: self ? 0 : p.contacted ? p.ticksSinceContact * limits.tickMs : null,
      promotion: check === null ? null : check.ready ? check.note : check.reason,
      directoryId: boundDirectory(s.membership, p.id),
    };
  });
}

function ownEntry(s: RaftStatus): VoterStatus {
  return {
    id: s.id,
    address: s.membership.addresses[String(s.id)] ?? "",
    voter: s.membership.voters.includes(s.id),
    logEndOffset: s.lastIndex,
    lag: Math.max(0, s.commit - s.lastIndex),
    lastContactMs: null,
    promotion: null,
    directoryId: boundDirectory(s.membership, s.id),
  };
}
