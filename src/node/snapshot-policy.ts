// When to take a periodic snapshot: after `everyEntries` applied entries since the last one, or
// after `everyMs` with at least one new applied entry. Pure: the runtime feeds it applied counts
// and the time, so tests can drive it without clocks.
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
  nodeId?: NodeId;
}

export class SnapshotPolicy {
  private lastIndex: number;
  private lastAt: number;
  private readonly entries: number;
  private readonly ms: number;

  constructor(opts: SnapshotPolicyOptions, startIndex: number, now: number) {
    invariant(opts.everyEntries >= 1, () => `snapshot entries must be ≥ 1, got ${opts.everyEntries}`);
    invariant(opts.everyMs >= 1, () => `snapshot interval must be ≥ 1 ms, got ${opts.everyMs}`);
    const stagger = opts.nodeId === undefined ? 0 : ((opts.nodeId * 37) % 50) / 100;
    this.entries = Math.round(opts.everyEntries * (1 + stagger));
    this.ms = Math.round(opts.everyMs * (1 + stagger));
    this.lastIndex = startIndex;
    this.lastAt = now;
  }

  due(applied: number, now: number): boolean {
    if (applied <= this.lastIndex) return false;
    return applied - this.lastIndex >= this.entries || now - this.lastAt >= this.ms;
  }

  /** A snapshot at `index` exists now (taken locally or installed from the leader). */
  taken(index: number, now: number): void {
    if (index > this.lastIndex) this.lastIndex = index;
    this.lastAt = now;
  }
}
