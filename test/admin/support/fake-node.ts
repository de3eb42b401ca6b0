// A scripted stand-in for the node: the status it reports is set by the test, and every
// cluster-changing call is recorded and answered with what the test arranged.
import type { ConsoleNode } from "../../../src/admin/console-options.ts";
import { MembershipError, type ClusterStatus, type MembershipChangeOptions } from "../../../src/node/contracts.ts";
import type { NodeId, SnapshotMeta } from "../../../src/raft/types.ts";

export type Call = { op: "transferLeader" | "addVoter" | "removeMember" | "snapshotNow"; args: unknown[] };

export class FakeNode implements ConsoleNode {
  readonly nodeId: NodeId;
  readonly clusterId = "test-cluster";
  readonly calls: Call[] = [];
  snapshots: SnapshotMeta[] = [];
  /** When set, the next membership call waits for the promise it makes (and fails if it rejects). */
  nextResult: (() => Promise<void>) | null = null;
  current: ClusterStatus;

  constructor(nodeId: NodeId = 1) {
    this.nodeId = nodeId;
    this.current = {
      nodeId,
      clusterId: this.clusterId,
      role: "leader",
      leader: nodeId,
      term: 3,
      commitOffset: 42,
      appliedOffset: 41,
      firstOffset: 5,
      lastOffset: 42,
      directoryId: "5f0c6a52-3d7e-4c1b-9f6e-2a8d1b7c4e90",
      membership: {
        voters: [1, 2, 3],
        learners: [4],
        addresses: { "1": "127.0.0.1:9091", "2": "127.0.0.1:9092", "3": "127.0.0.1:9093", "4": "127.0.0.1:9094" },
        directoryIds: { "1": "5f0c6a52-3d7e-4c1b-9f6e-2a8d1b7c4e90", "2": "dir-2", "3": "dir-3" },
      },
      members: [
        { id: 1, address: "127.0.0.1:9091", voter: true, logEndOffset: 42, lag: 0, lastContactMs: 0, promotion: null, directoryId: "" },
        { id: 2, address: "127.0.0.1:9092", voter: true, logEndOffset: 40, lag: 2, lastContactMs: 120, promotion: null, directoryId: "" },
        { id: 3, address: "127.0.0.1:9093", voter: true, logEndOffset: 12, lag: 30, lastContactMs: 65_000, promotion: null, directoryId: "" },
        { id: 4, address: "127.0.0.1:9094", voter: false, logEndOffset: 42, lag: 0, lastContactMs: 80, promotion: "caught up", directoryId: "" },
      ],
    };
  }

  status(): ClusterStatus {
    return structuredClone(this.current);
  }

  async snapshotNow(): Promise<SnapshotMeta> {
    this.calls.push({ op: "snapshotNow", args: [] });
    const meta = { index: this.current.appliedOffset, term: this.current.term, membership: this.current.membership };
    this.snapshots.push(meta);
    return meta;
  }

  listSnapshots(): SnapshotMeta[] {
    return [...this.snapshots];
  }

  transferLeader(to: NodeId): Promise<void> {
    this.calls.push({ op: "transferLeader", args: [to] });
    return this.settle(() => {
      this.current.leader = to;
      this.current.role = "follower";
      this.current.term++;
    });
  }

  addVoter(id: NodeId, address: string, options?: MembershipChangeOptions): Promise<void> {
    this.calls.push({ op: "addVoter", args: [id, address, options?.force ?? false] });
    if (this.current.membership.voters.includes(id)) return Promise.reject(new MembershipError(`node ${id} is already a voter`, "member_exists"));
    return this.settle(() => {
      this.current.membership.voters.push(id);
      this.current.membership.addresses[String(id)] = address;
    });
  }

  removeMember(id: NodeId, options?: MembershipChangeOptions): Promise<void> {
    this.calls.push({ op: "removeMember", args: options?.force ? [id, "force"] : [id] });
    if (id === this.nodeId) return Promise.reject(new MembershipError(`refusing to remove node ${id}: it is the leader`));
    return this.settle(() => {
      this.current.membership.voters = this.current.membership.voters.filter((v) => v !== id);
    });
  }

  metrics(): Record<string, number> {
    return { raft_term: this.current.term, raft_commit_index: this.current.commitOffset, console_test_gauge: 7 };
  }

  private async settle(effect: () => void): Promise<void> {
    const pending = this.nextResult;
    this.nextResult = null;
    if (pending) await pending();
    effect();
  }
}
