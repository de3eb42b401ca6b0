// What the simulation, its clients and its faults see of a node, whichever kind it is: the pure
// core with the simulator's own Ready loop (SimNode) or the real runtime (RuntimeNode).
import type { Membership, NodeId, Role } from "../../src/raft/types.ts";

export interface MemberStatus {
  role: Role;
  leader: NodeId;
  term: number;
  commit: number;
  applied: number;
  lastIndex: number;
  membership: Membership;
}
