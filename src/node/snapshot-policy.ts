// When to take a periodic snapshot: after `everyEntries` applied entries since the last one, after
// `everyRecords` state records those entries produced (a few entries can build a large state: a
// topic creation writes a record per partition, so 10,000 creations of 100 partitions leave a
// million records to replay at a restart, far below `everyEntries`; KRaft counts the bytes of
// records between snapshots for the same reason), or after `everyMs` with at least one new applied
// entry. Pure: the runtime feeds it applied and record counts and the time, so tests can drive it
// without clocks.
//
// Each node's threshold is staggered by its id (up to +49%). A snapshot no longer stalls the loop
// (it runs in slices), but it still costs each replica ~0.5 s of CPU and writes the whole state to
// disk at 50k topics; staggered, the replicas of a quorum do not all pay that at once, so commit
// latency rises on one node at a time (and on a shared host the disks do not contend).
import type { NodeId } from "../raft/types.ts";
import { invariant } from "./errors.ts";

export interface SnapshotPolicyOptions {
  everyEntries: number;
  everyMs: number;
  /** Records produced by applied entries since the last snapshot; none: entries and time only. */
  everyRecords?: number;
  nodeId?: NodeId;
}

export class SnapshotPolicy {
  private lastIndex: number;
  private lastAt: number;
  private lastRecords = 0;
  private readonly entries: number;
  private readonly records: number;
  private readonly ms: number;

  constructor(opts: SnapshotPolicyOptions, startIndex: number, now: number) {
    invariant(opts.everyEntries >= 1, () => `snapshot entries must be ≥ 1, got ${opts.everyEntries}`);
    invariant(opts.everyMs >= 1, () => `snapshot interval must be ≥ 1 ms, got ${opts.everyMs}`);
    const everyRecords = opts.everyRecords ?? Number.POSITIVE_INFINITY;
    invariant(everyRecords >= 1, () => `snapshot records must be ≥ 1, got ${everyRecords}`);
    const stagger = opts.nodeId === undefined ? 0 : ((opts.nodeId * 37) % 50) / 100;
    this.entries = Math.round(opts.everyEntries * (1 + stagger));
    this.ms = Math.round(opts.everyMs * (1 + stagger));
    this.records = Math.round(everyRecords * (1 + stagger));
    this.lastIndex = startIndex;
    this.lastAt = now;
  }

  /** `records`: the state machine's running count of records applied (StateMachine.recordsApplied). */
  due(applied: number, now: number, records = 0): boolean {
    if (applied <= this.lastIndex) return false;
    return applied - this.lastIndex >= this.entries || records - this.lastRecords >= this.records || now - this.lastAt >= this.ms;
  }

  /**
   * A snapshot at `index` exists now (taken locally or installed from the leader); `records` is the
   * running count of records applied when the state it holds was captured.
   */
  taken(index: number, now: number, records = 0): void {
    if (index > this.lastIndex) this.lastIndex = index;
    this.lastAt = now;
    this.lastRecords = records;
  }
}
