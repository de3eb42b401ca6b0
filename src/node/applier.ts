// Applies committed entries and installed snapshots to the StateMachine, in log order, and tells
// the proposers waiting on those indexes. Tracks what a local snapshot needs: the applied index,
// its term, and the membership in force at it. A leader's snapshot is installed in slices when the
// state machine can (beginRestore): meanwhile the old state stays whole and the applied index
// stays put, entries committed after the snapshot are held back, and they are applied in order,
// a slice at a time, once the snapshot has replaced the state.
import { decodeMembership, type Entry, type Membership, type Snapshot } from "../raft/types.ts";
import type { SnapshotRestore, StateMachine } from "./contracts.ts";
import { NoLeaderError } from "./contracts.ts";
import { invariant } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { ProposalWaiters } from "./proposal-waiters.ts";

/** A sliced install in progress: the restore until it replaced the state, and the entries held back. */
interface Installing {
  readonly snap: Snapshot;
  restore: SnapshotRestore | null;
  held: Entry[];
}

/** What one slice of an install did. */
export interface InstallStep {
  /** The snapshot replaced the state in this slice. */
  replaced: boolean;
  /** A held-back config entry was applied in this slice. */
  configChanged: boolean;
}

export class Applier {
  applied = 0;
  appliedTerm = 0;
  membership: Membership;
  private installing: Installing | null = null;

  constructor(
    private readonly sm: StateMachine,
    private readonly proposals: ProposalWaiters,
    private readonly log: Logger,
    initialMembership: Membership,
  ) {
    this.membership = initialMembership;
  }

  /** The index of the snapshot being installed in slices, or null when none is. */
  get installingIndex(): number | null {
    return this.installing?.snap.meta.index ?? null;
  }

  /** Replace the state by a snapshot at once (at start-up from storage, where nothing is served yet). */
  installSnapshot(snap: Snapshot): void {
    invariant(snap.meta.index >= this.applied || this.applied === 0, () =>
      `snapshot at ${snap.meta.index} would move applied back from ${this.applied}`);
    invariant(this.installing === null, () => `snapshot at ${snap.meta.index} installed at once while one at ${this.installing?.snap.meta.index} is installed in slices`);
    this.sm.restore(snap.meta.index, snap.data);
    this.replaced(snap);
  }

  /**
   * Begin replacing the state by a leader's snapshot. True when it goes in slices (stepInstall
   * until installingIndex is null); false when the state machine restores only in one go, done now.
   * A newer snapshot replaces one still being installed; held entries it covers are dropped.
   */
  beginInstall(snap: Snapshot): boolean {
    const under = this.installing;
    invariant(snap.meta.index >= this.applied && (under === null || snap.meta.index > under.snap.meta.index), () =>
      `snapshot at ${snap.meta.index} would not move past applied ${this.applied} (installing ${under?.snap.meta.index ?? "none"})`);
    const restore = this.sm.beginRestore?.(snap.meta.index, snap.data);
    if (restore === undefined) {
      this.installSnapshot(snap);
      return false;
    }
    this.installing = { snap, restore, held: (under?.held ?? []).filter((e) => e.index > snap.meta.index) };
    return true;
  }

  /** One slice of the install: a slice of the restore, or then up to `maxItems` held entries applied. */
  stepInstall(maxItems: number): InstallStep {
    const job = this.installing;
    invariant(job !== null, () => "stepInstall with no snapshot being installed");
    if (job.restore !== null) {
      if (!job.restore.step(maxItems)) return { replaced: false, configChanged: false };
      job.restore = null;
      this.replaced(job.snap);
      if (job.held.length === 0) this.installing = null;
      return { replaced: true, configChanged: false };
    }
    const run = job.held.splice(0, maxItems);
    if (job.held.length === 0) this.installing = null;
    return { replaced: false, configChanged: this.applyInOrder(run) };
  }

  private replaced(snap: Snapshot): void {
    this.applied = snap.meta.index;
    this.appliedTerm = snap.meta.term;
    this.membership = snap.meta.membership;
    this.proposals.lostUpTo(snap.meta.index, (i) => new NoLeaderError(`entry ${i} was replaced by a snapshot from the leader; outcome unknown, retry`));
  }

  /**
   * Apply entries in order; returns true when one of them changed the membership. While a snapshot
   * is installed in slices they are held back (those it covers dropped), to be applied after it.
   */
  apply(entries: Entry[]): boolean {
    const job = this.installing;
    if (job === null) return this.applyInOrder(entries);
    let next = (job.held.at(-1)?.index ?? job.snap.meta.index) + 1;
    for (const e of entries) {
      if (e.index < next) continue; // covered by the snapshot, or held already
      invariant(e.index === next, () => `committed entry ${e.index} skips past ${next - 1} (installing the snapshot at ${job.snap.meta.index})`);
      job.held.push(e);
      next++;
    }
    return false;
  }

  private applyInOrder(entries: Entry[]): boolean {
    let configChanged = false;
    for (const e of entries) {
      if (e.index <= this.applied) continue; // already in the state (e.g. covered by a snapshot)
      invariant(e.index === this.applied + 1, () => `committed entry ${e.index} skips past applied ${this.applied}`);
      if (e.type === "config") {
        this.membership = decodeMembership(e.data);
        configChanged = true;
        this.proposals.applied(e.index, e.term, undefined);
      } else if (e.data.length === 0) {
        this.proposals.applied(e.index, e.term, undefined); // a leader's no-op
      } else {
        this.applyNormal(e);
      }
      this.applied = e.index;
      this.appliedTerm = e.term;
    }
    return configChanged;
  }

  private applyNormal(e: Entry): void {
    let result: unknown;
    try {
      result = this.sm.apply(e.index, e.data);
    } catch (err) {
      // apply is deterministic, so every replica throws alike: the entry is a rejected command.
      this.log.error("apply_failed", { index: e.index, error: err });
      this.proposals.applied(e.index, e.term, undefined, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.proposals.applied(e.index, e.term, result);
  }
}
