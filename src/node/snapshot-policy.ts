// When to take a periodic snapshot: after `everyEntries` applied entries since the last one, or
// after `everyMs` with at least one new applied entry. Pure: the runtime feeds it applied counts
// and the time, so tests can drive it without clocks.
//
// Taking a snapshot blocks the node's loop for a while that grows with the state. Each node's
// threshold is staggered by its id (up to +49%), so replicas do not pause together and a quorum
// keeps acknowledging. A leader's threshold is `leaderFactor` times longer: when it is reached the
// leader first hands leadership off (snapshot-handoff.ts), so leadership moves less often.
import type { NodeId } from "../raft/types.ts";
import { invariant } from "./errors.ts";

export interface SnapshotPolicyOptions {
  everyEntries: number;
  everyMs: number;
  nodeId?: NodeId;
  leaderFactor?: number;
}

export class SnapshotPolicy {
  private lastIndex: number;
  private lastAt: number;
  private readonly entries: number;
  private readonly ms: number;
  private readonly leaderFactor: number;

  constructor(opts: SnapshotPolicyOptions, startIndex: number, now: number) {
    invariant(opts.everyEntries >= 1, () => `snapshot entries must be ≥ 1, got ${opts.everyEntries}`);
    invariant(opts.everyMs >= 1, () => `snapshot interval must be ≥ 1 ms, got ${opts.everyMs}`);
    this.leaderFactor = opts.leaderFactor ?? 1;
    invariant(this.leaderFactor >= 1, () => `leader factor must be ≥ 1, got ${this.leaderFactor}`);
    const stagger = opts.nodeId === undefined ? 0 : ((opts.nodeId * 37) % 50) / 100;
    this.entries = Math.round(opts.everyEntries * (1 + stagger));
    this.ms = Math.round(opts.everyMs * (1 + stagger));
    this.lastIndex = startIndex;
    this.lastAt = now;
  }

  due(applied: number, now: number, leader = false): boolean {
    if (applied <= this.lastIndex) return false;
    const factor = leader ? this.leaderFactor : 1;
    return applied - this.lastIndex >= this.entries * factor || now - this.lastAt >= this.ms * factor;
  }

  /** A snapshot at `index` exists now (taken locally or installed from the leader). */
  taken(index: number, now: number): void {
    if (index > this.lastIndex) this.lastIndex = index;
    this.lastAt = now;
  }
}
