// Majority arithmetic over a voter set. Learners never reach these functions.
import type { NodeId } from "./types.ts";

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** The highest index that a majority of voters has matched (0 with no voters). */
export function quorumIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[majority(voters.length) - 1];
}

export type VoteOutcome = "won" | "lost" | "pending";

/** Tally of an election: only votes of current voters count. */
export function voteOutcome(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteOutcome {
  const need = majority(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  if (granted >= need) return "won";
  if (rejected > voters.length - need) return "lost";
  return "pending";
}

/** Whether the given set of acknowledging nodes holds a majority of the voters. */
export function hasQuorum(voters: readonly NodeId[], acked: (id: NodeId) => boolean): boolean {
  let n = 0;
  for (const id of voters) if (acked(id)) n++;
  return voters.length > 0 && n >= majority(voters.length);
}
