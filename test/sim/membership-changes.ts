// Which single-server membership changes the simulator may propose: any of the pool's ids may join
// as a learner or voter and any member may leave, as long as the voter count stays within
// [minVoters, maxVoters] and the voters still up remain a majority of the new voter set.
import type { ConfChange, Membership, NodeId } from "../../src/raft/types.ts";

export interface ChangeLimits {
  minVoters: number;
  maxVoters: number;
}

export function possibleChanges(m: Membership, pool: readonly NodeId[], isUp: (id: NodeId) => boolean, limits: ChangeLimits): ConfChange[] {
  const workable = (voters: NodeId[]) => voters.filter((id) => !isUp(id)).length <= Math.floor((voters.length - 1) / 2);
  const choices: ConfChange[] = [];
  for (const id of pool) {
    const address = `sim-${id}`;
    const isVoter = m.voters.includes(id);
    const isLearner = m.learners.includes(id);
    if (!isVoter && !isLearner) choices.push({ type: "addLearner", id, address });
    if (!isVoter && m.voters.length < limits.maxVoters && workable([...m.voters, id])) choices.push({ type: "addVoter", id, address });
    if (isLearner) choices.push({ type: "removeNode", id });
    if (isVoter && m.voters.length > limits.minVoters && workable(m.voters.filter((v) => v !== id))) choices.push({ type: "removeNode", id });
  }
  return choices;
}
