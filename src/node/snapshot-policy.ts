// When to take a periodic snapshot: after `everyEntries` applied entries since the last one, or
// after `everyMs` with at least one new applied entry. Pure: the runtime feeds it applied counts
// and the time, so tests can drive it without clocks.
import { invariant } from "./errors.ts";

export interface SnapshotPolicyOptions {
  everyEntries: number;
  everyMs: number;
}

export class SnapshotPolicy {
  private lastIndex: number;
  private lastAt: number;

  constructor(
    private readonly opts: SnapshotPolicyOptions,
    startIndex: number,
    now: number,
  ) {
    invariant(opts.everyEntries >= 1, () => `snapshot entries must be ≥ 1, got ${opts.everyEntries}`);
    invariant(opts.everyMs >= 1, () => `snapshot interval must be ≥ 1 ms, got ${opts.everyMs}`);
    this.lastIndex = startIndex;
    this.lastAt = now;
  }

  due(applied: number, now: number): boolean {
    if (applied <= this.lastIndex) return false;
    return applied - this.lastIndex >= this.opts.everyEntries || now - this.lastAt >= this.opts.everyMs;
  }

  /** A snapshot at `index` exists now (taken locally or installed from the leader). */
  taken(index: number, now: number): void {
    if (index > this.lastIndex) this.lastIndex = index;
    this.lastAt = now;
  }
}
