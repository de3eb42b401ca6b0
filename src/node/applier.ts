// Applies committed entries and installed snapshots to the StateMachine, in log order, and tells
// the proposers waiting on those indexes. Tracks what a local snapshot needs: the applied index,
// its term, and the membership in force at it. Neither holds the loop long: committed entries are
// applied for at most a budget of time per call (a Ready holds up to 1,024 of them, and at 1M
// partitions a catching-up node's topic creations took ~0.3 ms each), the rest kept in order for
// the next slice; a leader's snapshot is installed in slices when the state machine can
// (beginRestore), the old state whole and the applied index put meanwhile, later entries kept
// back until it has replaced the state. The runtime runs the slices (apply-slices.ts).
import { decodeMembership, type Entry, type Membership, type Snapshot } from "../raft/types.ts";
import type { SnapshotRestore, StateMachine } from "./contracts.ts";
import { NoLeaderError } from "./contracts.ts";
import { invariant } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { ProposalWaiters } from "./proposal-waiters.ts";

/**
 * Milliseconds of applying per call before the rest waits for the next slice. On the runtime's
 * clock: the simulator's virtual clock stands still within a step, so there everything applies at
 * once, as it always did, and a seed replays alike.
 */
export const APPLY_SLICE_MS = 8;

/** A sliced install in progress: the restore, until it has replaced the state. */
interface Installing {
  readonly snap: Snapshot;
  restore: SnapshotRestore;
}

/** What one slice did. */
export interface ApplyStep {
  /** The snapshot being installed replaced the state in this slice. */
  replaced: boolean;
  /** A config entry was applied in this slice. */
  configChanged: boolean;
}

export class Applier {
  applied = 0;
  appliedTerm = 0;
  membership: Membership;
  private installing: Installing | null = null;
  /** Committed entries not applied yet, in order: over the last slice's budget, or behind an install. */
  private backlog: Entry[] = [];

  constructor(
    private readonly sm: StateMachine,
    private readonly proposals: ProposalWaiters,
    private readonly log: Logger,
    initialMembership: Membership,
    private readonly now: () => number = Date.now,
    /**
     * Called once with each leader's snapshot (beginInstall) the state machine is done reading:
     * it replaced the state, or a newer one overtook it. The runtime gives its bytes back then
     * (LogStorage.releaseSnapshotBytes) rather than at the heap's next full collection.
     */
    private readonly doneWith: (snap: Snapshot) => void = () => {},
  ) {
    this.membership = initialMembership;
  }

  /** The index of the snapshot being installed in slices, or null when none is. */
  get installingIndex(): number | null {
    return this.installing?.snap.meta.index ?? null;
  }

  /** Work left for later slices: an install, or entries committed and not applied yet. */
  get pending(): boolean {
    return this.installing !== null || this.backlog.length > 0;
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
   * Begin replacing the state by a leader's snapshot. True when it goes in slices (step() while
   * pending); false when the state machine restores only in one go, done now. A newer snapshot
   * replaces one still being installed; entries waiting that it covers are dropped.
   */
  beginInstall(snap: Snapshot): boolean {
    const under = this.installing;
    invariant(snap.meta.index >= this.applied && (under === null || snap.meta.index > under.snap.meta.index), () =>
      `snapshot at ${snap.meta.index} would not move past applied ${this.applied} (installing ${under?.snap.meta.index ?? "none"})`);
    this.backlog = this.backlog.filter((e) => e.index > snap.meta.index);
    const restore = this.sm.beginRestore?.(snap.meta.index, snap.data);
    // An install overtaken by this one is read no further.
    if (under !== null) this.doneWith(under.snap);
    if (restore === undefined) {
      this.installing = null;
      this.installSnapshot(snap);
      this.doneWith(snap);
      return false;
    }
    this.installing = { snap, restore };
    return true;
  }

  /** One slice: a slice of the install's restore, or then waiting entries for up to the budget. */
  step(maxItems: number): ApplyStep {
    const job = this.installing;
    if (job !== null) {
      if (!job.restore.step(maxItems)) return { replaced: false, configChanged: false };
      this.installing = null;
      this.replaced(job.snap);
      this.doneWith(job.snap);
      return { replaced: true, configChanged: false };
    }
    return { replaced: false, configChanged: this.applyBacklog() };
  }

  private replaced(snap: Snapshot): void {
    this.applied = snap.meta.index;
    this.appliedTerm = snap.meta.term;
    this.membership = snap.meta.membership;
    this.proposals.lostUpTo(snap.meta.index, (i) => new NoLeaderError(`entry ${i} was replaced by a snapshot from the leader; outcome unknown, retry`));
  }

  /**
   * Apply committed entries in order, for up to the slice budget; the rest wait for step(). While
   * a snapshot is installed in slices they all wait (those it covers dropped). Returns true when
   * one applied now changed the membership.
   */
  apply(entries: Entry[]): boolean {
    let next = (this.backlog.at(-1)?.index ?? Math.max(this.applied, this.installingIndex ?? 0)) + 1;
    for (const e of entries) {
      if (e.index < next) continue; // in the state already, covered by the snapshot, or waiting
      invariant(e.index === next, () => `committed entry ${e.index} skips past ${next - 1}`);
      this.backlog.push(e);
      next++;
    }
    return this.installing === null ? this.applyBacklog() : false;
  }

  /** Waiting entries applied in order until the budget is spent (at least one). */
  private applyBacklog(): boolean {
    const started = this.now();
    let n = 0;
    let configChanged = false;
    while (n < this.backlog.length) {
      if (this.applyOne(this.backlog[n++])) configChanged = true;
      if (this.now() - started >= APPLY_SLICE_MS) break;
    }
    this.backlog = n === this.backlog.length ? [] : this.backlog.slice(n);
    return configChanged;
  }

  /** Returns true when the entry changed the membership. */
  private applyOne(e: Entry): boolean {
    invariant(e.index === this.applied + 1, () => `committed entry ${e.index} skips past applied ${this.applied}`);
    let configChanged = false;
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
