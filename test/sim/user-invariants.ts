// Per-event invariants of what users see of each node (its status: the offsets and the role the
// API and the console show), checked after every event of a run:
// - the commit and applied offsets never go backwards on a node within one life of its process
//   (a restart begins again from the snapshot and the durable commit: a commit not yet flushed
//   may be lost, and SafetyChecker holds the restarted commit to the persisted one);
// - a leader's commit offset only moves, while it leads, to an entry of its own term: a new
//   leader never exposes a commit offset before its own first entry of the term commits
//   (KAFKA-12619: the high watermark of a new leader);
// - membership changes one server at a time: each config entry differs from the configuration
//   before it by one member added, removed, or promoted (directory-id bindings aside).
// At most one leader per term is SafetyChecker's election safety, checked from the same status.
import { decodeMembership, type Entry, type Membership, type NodeId } from "../../src/raft/types.ts";
import type { MemberStatus } from "./member-status.ts";
import type { SimDisk } from "./sim-disk.ts";
import { SimViolation } from "./violation.ts";

export class UserInvariants {
  private readonly commitFloor = new Map<NodeId, number>();
  private readonly appliedFloor = new Map<NodeId, number>();
  private readonly leading = new Map<NodeId, { term: number; commit: number }>();
  /** Which life of the process, on which disk, the floors are of. */
  private readonly incarnation = new Map<NodeId, { life: number; directoryId: string }>();

  /** After an event: `life` counts the node's crashes, `directoryId` names its disk. */
  status(node: NodeId, life: number, directoryId: string, s: MemberStatus, disk: SimDisk): void {
    const was = this.incarnation.get(node);
    if (was === undefined || was.life !== life || was.directoryId !== directoryId) {
      this.appliedFloor.delete(node);
      this.commitFloor.delete(node);
      this.leading.delete(node);
      this.incarnation.set(node, { life, directoryId });
    }
    const commitFloor = this.commitFloor.get(node) ?? 0;
    if (s.commit < commitFloor) throw new SimViolation("commit-monotonic", `node ${node} showed commit offset ${s.commit} after ${commitFloor}`);
    this.commitFloor.set(node, s.commit);
    const appliedFloor = this.appliedFloor.get(node) ?? 0;
    if (s.applied < appliedFloor) throw new SimViolation("applied-monotonic", `node ${node} showed applied offset ${s.applied} after ${appliedFloor}`);
    this.appliedFloor.set(node, s.applied);
    this.leaderCommit(node, s, disk);
  }

  private leaderCommit(node: NodeId, s: MemberStatus, disk: SimDisk): void {
    if (s.role !== "leader") {
      this.leading.delete(node);
      return;
    }
    const before = this.leading.get(node);
    this.leading.set(node, { term: s.term, commit: s.commit });
    if (before === undefined || before.term !== s.term || s.commit <= before.commit) return;
    const term = disk.term(s.commit);
    if (term !== undefined && term !== s.term) {
      throw new SimViolation(
        "leader-commit-own-term",
        `node ${node}, leader of term ${s.term}, moved its commit offset from ${before.commit} to ${s.commit}, an entry of term ${term}`,
      );
    }
  }
}

/** Each config entry in `entries` (just persisted on `disk`) changes one member of the one before it. */
export function checkOneChangeAtATime(node: NodeId, disk: SimDisk, entries: readonly Entry[], bootstrap: Membership): void {
  for (const e of entries) {
    if (e.type !== "config") continue;
    const before = membershipBefore(disk, e.index, bootstrap);
    const after = decodeMembership(e.data);
    const changed = changedMembers(before, after);
    if (changed.length > 1) {
      throw new SimViolation(
        "membership-one-at-a-time",
        `node ${node} persisted config entry ${e.index} changing ${changed.length} members at once (${changed.join(", ")}): voters ${before.voters} → ${after.voters}, learners ${before.learners} → ${after.learners}`,
      );
    }
  }
}

function membershipBefore(disk: SimDisk, index: number, bootstrap: Membership): Membership {
  for (let i = index - 1; i > disk.snapshotIndex(); i--) {
    const e = disk.entry(i);
    if (e !== undefined && e.type === "config") return decodeMembership(e.data);
  }
  return disk.snapshot()?.meta.membership ?? bootstrap;
}

function changedMembers(a: Membership, b: Membership): NodeId[] {
  const role = (m: Membership, id: NodeId) => (m.voters.includes(id) ? "v" : m.learners.includes(id) ? "l" : "-");
  const ids = new Set([...a.voters, ...a.learners, ...b.voters, ...b.learners]);
  return [...ids].filter((id) => role(a, id) !== role(b, id)).sort((x, y) => x - y);
}
