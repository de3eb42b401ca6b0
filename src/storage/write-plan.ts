// The one place the log's invariants live. Both storages describe their current state as a
// LogView, ask for a plan, and apply it in one atomic step; a batch that breaks an invariant
// throws here, before anything is written.
import type { Entry, HardState, Snapshot, SnapshotMeta } from "../raft/types.ts";
import type { PersistBatch } from "./log-storage.ts";
import { checkEntryRun, checkHardState, checkSnapshot } from "./input-checks.ts";
import type { StorageLimits } from "./storage-options.ts";
import { StorageError } from "./storage-error.ts";

/** Where the log stands; lastIndex = snapshotIndex (and lastTerm = snapshotTerm) when it is empty. */
export interface LogBounds {
  snapshotIndex: number;
  snapshotTerm: number;
  lastIndex: number;
  lastTerm: number;
  hardState: HardState;
}

export interface LogView extends LogBounds {
  /** Term of the stored entry at index, for snapshotIndex < index ≤ lastIndex. */
  termAt(index: number): number | undefined;
}

/** What to write, in this order, in one transaction. */
export interface WritePlan {
  snapshot: Snapshot | null;
  /** Delete entries with idx ≤ this; 0 = none. */
  deleteThrough: number;
  /** Delete entries with idx ≥ this; null = none. */
  deleteFrom: number | null;
  append: Entry[];
  hardState: HardState | null;
  /** Where the log stands once the plan is applied. */
  after: LogBounds;
}

/** The view as it evolves through the steps of one plan, before anything is written. */
class Draft {
  bounds: LogBounds;
  deleteThrough = 0;
  deleteFrom: number | null = null;

  constructor(readonly view: LogView) {
    this.bounds = { ...view, hardState: { ...view.hardState } };
  }

  termAt(index: number): number | undefined {
    if (index === 0) return 0;
    if (index === this.bounds.snapshotIndex) return this.bounds.snapshotTerm;
    if (index < this.bounds.snapshotIndex || index > this.bounds.lastIndex) return undefined;
    // The last term is tracked through every step, so the common append costs no lookup.
    if (index === this.bounds.lastIndex) return this.bounds.lastTerm;
    if (this.deleteFrom !== null && index >= this.deleteFrom) return undefined;
    return this.view.termAt(index);
  }

  dropFrom(index: number): void {
    this.deleteFrom = this.deleteFrom === null ? index : Math.min(this.deleteFrom, index);
  }
}

function applyInstalledSnapshot(d: Draft, snapshot: Snapshot, limits: StorageLimits): void {
  checkSnapshot(snapshot, limits);
  const { index, term } = snapshot.meta;
  if (index <= d.bounds.snapshotIndex) {
    throw new StorageError(
      "stale_snapshot",
      `snapshot at index ${index} is not newer than the stored one at ${d.bounds.snapshotIndex}`,
    );
  }
  // Raft §7: a snapshot that matches the log keeps the entries after it; otherwise the log is void.
  const matches = d.termAt(index) === term;
  d.deleteThrough = index;
  if (!matches) {
    d.dropFrom(index + 1);
    d.bounds.lastIndex = index;
    d.bounds.lastTerm = term;
  }
  d.bounds.snapshotIndex = index;
  d.bounds.snapshotTerm = term;
}

function applyEntries(d: Draft, entries: Entry[], limits: StorageLimits): void {
  checkEntryRun(entries, limits);
  if (entries.length === 0) return;
  const first = entries[0];
  const last = entries[entries.length - 1];
  const b = d.bounds;
  if (first.index <= b.snapshotIndex) {
    throw new StorageError("entry_compacted", `entry ${first.index} is at or below the snapshot index ${b.snapshotIndex}`);
  }
  if (first.index > b.lastIndex + 1) {
    throw new StorageError("log_gap", `entry ${first.index} would leave a gap after the last index ${b.lastIndex}`);
  }
  const prevTerm = d.termAt(first.index - 1) ?? 0;
  if (first.term < prevTerm) {
    throw new StorageError(
      "term_regression",
      `entry ${first.index} has term ${first.term}, below ${prevTerm} of entry ${first.index - 1}`,
    );
  }
  checkCommittedUnchanged(d, entries);
  if (first.index <= b.lastIndex) d.dropFrom(first.index);
  b.lastIndex = last.index;
  b.lastTerm = last.term;
}

/** Raft never replaces a committed entry by a different one; doing so would lose an acknowledged write. */
function checkCommittedUnchanged(d: Draft, entries: Entry[]): void {
  const commit = Math.min(d.bounds.hardState.commit, d.bounds.lastIndex);
  for (const e of entries) {
    if (e.index > commit) return;
    const stored = d.termAt(e.index);
    if (stored !== undefined && stored !== e.term) {
      throw new StorageError(
        "committed_entry_conflict",
        `entry ${e.index} (term ${e.term}) would replace a committed entry of term ${stored} (commit ${commit})`,
      );
    }
  }
}

function applyHardState(d: Draft, next: HardState): void {
  checkHardState(next);
  const old = d.bounds.hardState;
  if (next.term < old.term) {
    throw new StorageError("hard_state_term_decreased", `hard state term ${next.term} is below the stored term ${old.term}`);
  }
  if (next.term === old.term && old.vote !== 0 && next.vote !== old.vote) {
    throw new StorageError("vote_changed", `term ${old.term} already voted for ${old.vote}; refusing vote ${next.vote}`);
  }
  if (next.commit < old.commit) {
    throw new StorageError("commit_decreased", `commit ${next.commit} is below the stored commit ${old.commit}`);
  }
  d.bounds.hardState = { term: next.term, vote: next.vote, commit: next.commit };
}

/** Checks that hold after every write, whichever step could have broken them. */
function checkFinal(d: Draft): void {
  const b = d.bounds;
  if (b.hardState.commit > b.lastIndex) {
    throw new StorageError("commit_beyond_log", `commit ${b.hardState.commit} would be past the last index ${b.lastIndex}`);
  }
  if (b.hardState.commit < b.snapshotIndex) {
    throw new StorageError(
      "commit_behind_snapshot",
      `commit ${b.hardState.commit} would be below the snapshot index ${b.snapshotIndex}; persist the commit with the snapshot`,
    );
  }
  if (b.lastTerm > b.hardState.term) {
    throw new StorageError(
      "entry_term_ahead",
      `the log would end at term ${b.lastTerm}, ahead of the hard state's term ${b.hardState.term}`,
    );
  }
}

function finish(d: Draft, snapshot: Snapshot | null, append: Entry[], hardState: HardState | null): WritePlan {
  checkFinal(d);
  return {
    snapshot,
    deleteThrough: d.deleteThrough,
    deleteFrom: d.deleteFrom,
    append,
    hardState: hardState === null ? null : d.bounds.hardState,
    after: d.bounds,
  };
}

/**
 * Whether the plan must be on disk before the caller goes on. Only a plan that does nothing but
 * move the commit index need not (etcd's MustSync): Raft keeps the commit index as volatile state
 * (Figure 2); what must be durable are entries, term and vote, and a node that restarts with an
 * older commit index learns it again from the leader. Such a write is made durable by the next
 * synced one (the WAL is synced as a whole) or is lost only with the machine, never with the process.
 */
export function mustSync(before: HardState, plan: WritePlan): boolean {
  const commitOnly =
    plan.snapshot === null &&
    plan.deleteThrough === 0 &&
    plan.deleteFrom === null &&
    plan.append.length === 0 &&
    plan.hardState !== null &&
    plan.hardState.term === before.term &&
    plan.hardState.vote === before.vote;
  return !commitOnly;
}

/** True when applying the plan would change nothing, so no transaction (and no fsync) is needed. */
export function isEmptyPlan(plan: WritePlan): boolean {
  return (
    plan.snapshot === null &&
    plan.deleteThrough === 0 &&
    plan.deleteFrom === null &&
    plan.append.length === 0 &&
    plan.hardState === null
  );
}

export function planPersist(view: LogView, batch: PersistBatch, limits: StorageLimits): WritePlan {
  if (batch === null || typeof batch !== "object") {
    throw new StorageError("invalid_entry", `persist needs a batch object, got ${String(batch)}`);
  }
  const d = new Draft(view);
  const entries = batch.entries ?? [];
  if (batch.snapshot) applyInstalledSnapshot(d, batch.snapshot, limits);
  applyEntries(d, entries, limits);
  if (batch.hardState) applyHardState(d, batch.hardState);
  return finish(d, batch.snapshot ?? null, entries, batch.hardState ?? null);
}

export function planSaveSnapshot(view: LogView, snapshot: Snapshot, limits: StorageLimits): WritePlan {
  checkSnapshot(snapshot, limits);
  const d = new Draft(view);
  const { index, term } = snapshot.meta;
  if (index < view.snapshotIndex) {
    throw new StorageError("stale_snapshot", `snapshot at index ${index} is older than the stored one at ${view.snapshotIndex}`);
  }
  if (index > view.hardState.commit) {
    throw new StorageError(
      "snapshot_beyond_commit",
      `snapshot at index ${index} covers entries past the commit index ${view.hardState.commit}`,
    );
  }
  const stored = d.termAt(index);
  if (stored !== term) {
    throw new StorageError(
      "snapshot_term_mismatch",
      `snapshot at index ${index} has term ${term}, but the log holds term ${String(stored)} there`,
    );
  }
  d.deleteThrough = index;
  d.bounds.snapshotIndex = index;
  d.bounds.snapshotTerm = term;
  return finish(d, snapshot, [], null);
}

/** Publishing a pending snapshot of `size` bytes: saveSnapshot's checks and plan, without the bytes. */
export function planPublishSnapshot(view: LogView, meta: SnapshotMeta, size: number, limits: StorageLimits): WritePlan {
  if (size > limits.maxSnapshotBytes) {
    throw new StorageError("too_large", `snapshot at ${meta.index} is ${size} bytes, over the bound of ${limits.maxSnapshotBytes}`);
  }
  return planSaveSnapshot(view, { meta, data: new Uint8Array(0) }, limits);
}
