// The leader's view of one follower (etcd's tracker.Progress): how far it matches, what to send
// next, and in which mode — probe (one App per heartbeat until a match is found), replicate
// (pipelined Apps within the inflight window) or snapshot (an InstallSnapshot transfer runs).
import { Inflights } from "./inflights.ts";
import type { ProgressState, Snapshot } from "./types.ts";

/** An InstallSnapshot transfer in progress: the snapshot being sent and the next byte offset. */
export interface SnapshotTransfer {
  snapshot: Snapshot;
  offset: number;
  /** Ticks since the follower last answered a chunk; drives re-sending a lost chunk. */
  idleTicks: number;
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** Probe state: an App went out and no answer came yet; pause until a heartbeat answer. */
  probeSent = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  ticksSinceContact = 0;
  /** Heard from at least once since this leader began tracking it (a learner that never answers shows it). */
  contacted = false;
  transfer: SnapshotTransfer | null = null;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    const pendingSnapshot = this.transfer?.snapshot.meta.index ?? 0;
    this.next = this.state === "snapshot" ? Math.max(this.match + 1, pendingSnapshot + 1) : this.match + 1;
    this.state = "probe";
    this.probeSent = false;
    this.transfer = null;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.state = "replicate";
    this.probeSent = false;
    this.transfer = null;
    this.inflights.reset();
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.state = "snapshot";
    this.probeSent = false;
    this.transfer = { snapshot, offset: 0, idleTicks: 0 };
    this.inflights.reset();
  }

  /** A successful AppResp up to `index`; false when it told nothing new (stale or duplicate). */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejected App at `rejected`; `hint` is the highest index that may still match. Returns false
   * when the rejection is stale (about an App the progress has already moved past).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    // At or below match the follower already agreed: such a rejection is stale (or comes from a
    // broken peer, and answering it would only ping-pong).
    if (rejected <= this.match) return false;
    if (this.state === "replicate") {
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Record an App carrying entries up to `lastIndex` (count may be 0 for a bare commit update). */
  sentEntries(count: number, lastIndex: number): void {
    if (this.state === "replicate") {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  isPaused(): boolean {
    if (this.state === "probe") return this.probeSent;
    if (this.state === "replicate") return this.inflights.full();
    return true;
  }
}
