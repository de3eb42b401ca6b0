// Applies committed entries and installed snapshots to the StateMachine, in log order, and tells
// the proposers waiting on those indexes. Tracks what a local snapshot needs: the applied index,
// its term, and the membership in force at it.
import { decodeMembership, type Entry, type Membership, type Snapshot } from "../raft/types.ts";
import type { StateMachine } from "./contracts.ts";
import { NoLeaderError } from "./contracts.ts";
import { invariant } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { ProposalWaiters } from "./proposal-waiters.ts";

export class Applier {
  applied = 0;
  appliedTerm = 0;
  membership: Membership;

  constructor(
    private readonly sm: StateMachine,
    private readonly proposals: ProposalWaiters,
    private readonly log: Logger,
    initialMembership: Membership,
  ) {
    this.membership = initialMembership;
  }

  /** Replace the state by a snapshot (at start-up from storage, or sent by the leader). */
  installSnapshot(snap: Snapshot): void {
    invariant(snap.meta.index >= this.applied || this.applied === 0, () =>
      `snapshot at ${snap.meta.index} would move applied back from ${this.applied}`);
    this.sm.restore(snap.meta.index, snap.data);
    this.applied = snap.meta.index;
    this.appliedTerm = snap.meta.term;
    this.membership = snap.meta.membership;
    this.proposals.lostUpTo(snap.meta.index, (i) => new NoLeaderError(`entry ${i} was replaced by a snapshot from the leader; outcome unknown, retry`));
  }

  /** Apply entries in order. */
  apply(entries: Entry[]): void {
    for (const e of entries) {
      if (e.index <= this.applied) continue; // already in the state (e.g. covered by a snapshot)
      invariant(e.index === this.applied + 1, () => `committed entry ${e.index} skips past applied ${this.applied}`);
      if (e.type === "config") {
        this.membership = decodeMembership(e.data);
        this.proposals.applied(e.index, e.term, undefined);
      } else if (e.data.length === 0) {
        this.proposals.applied(e.index, e.term, undefined); // a leader's no-op
      } else {
        this.applyNormal(e);
      }
      this.applied = e.index;
      this.appliedTerm = e.term;
    }
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
