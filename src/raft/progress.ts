// The leader's view of one follower (etcd's tracker.Progress): how far it matches, what to send
// next, and in which mode — probe (one App at a time until a match is found), replicate
// (pipelined Apps within the inflight window of count and bytes) or snapshot (an InstallSnapshot
// transfer runs). A follower that does not answer gets at most one App per heartbeat interval:
// only an answer (AppResp) or the first heartbeat answer of an interval resumes a paused flow.
import { invariant } from "./errors.ts";
import { Inflights } from "./inflights.ts";
import type { ProgressState, SnapshotRef } from "./types.ts";

/** An InstallSnapshot transfer in progress: the snapshot being sent and the next byte offset. */
export interface SnapshotTransfer {
  snapshot: SnapshotRef;
  offset: number;
  /** Ticks since the follower last answered a chunk; drives re-sending a lost chunk. */
  idleTicks: number;
}

export class Progress {
  /** Highest index known to match the leader's log. Invariant: 0 <= match < next. */
  match = 0;
  /** Next index to send; (match, next) is in flight in replicate state. */
  next: number;
  state: ProgressState = "probe";
  /** Probe state: an App went out and no answer came yet; pause until an answer or a heartbeat answer. */
  probeSent = false;
  /**
   * A heartbeat answer already resumed the flow in this heartbeat interval. Heartbeats also go out
   * per ReadIndex round, so without this a follower that answers heartbeats but not Apps would get
   * one App per read round. Cleared once per heartbeat interval by the leader's tick.
   */
  resumedThisBeat = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  ticksSinceContact = 0;
  /** Heard from at least once since this leader began tracking it (a learner that never answers shows it). */
  contacted = false;
  /** Invariant: non-null exactly in snapshot state. */
  transfer: SnapshotTransfer | null = null;
  /**
   * The directory id (the disk) match and next describe: that of the first answer heard, "" until
   * then or when the follower sends none. Another id means another disk (Replicator.touch).
   */
  directoryId = "";
  /**
   * The leader's last index when it began tracking this progress. Only an answer accepting an index
   * at or past it was sent by a process that heard from this leader since: a late answer from the
   * disk of an earlier membership (one wiped before the member was removed and added again) never
   * does, so only such answers name the directory id to bind (Raft.observeDirectory).
   */
  since = 0;
  /** Invariant: empty unless in replicate state. */
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number, maxInflightBytes: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
    this.check();
  }

  becomeProbe(): void {
    const pendingSnapshot = this.transfer?.snapshot.meta.index ?? 0;
    this.next = this.state === "snapshot" ? Math.max(this.match + 1, pendingSnapshot + 1) : this.match + 1;
    this.state = "probe";
    this.probeSent = false;
    this.transfer = null;
    this.inflights.reset();
    this.check();
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.state = "replicate";
    this.probeSent = false;
    this.transfer = null;
    this.inflights.reset();
    this.check();
  }

  becomeSnapshot(snapshot: SnapshotRef): void {
    this.state = "snapshot";
    this.probeSent = false;
    this.transfer = { snapshot, offset: 0, idleTicks: 0 };
    this.inflights.reset();
    this.check();
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
    this.check();
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
      this.check();
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    this.probeSent = false;
    this.check();
    return true;
  }

  /** Record an App carrying `count` entries (`bytes` in all) up to `lastIndex`; count may be 0 for a bare commit update. */
  sentEntries(count: number, lastIndex: number, bytes: number): void {
    if (this.state === "replicate") {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
    this.check();
  }

  /**
   * A heartbeat answer: the follower is alive. It resumes a paused flow (a probe, or one slot of a
   * full window) at most once per heartbeat interval; returns whether it did.
   */
  resumeOnHeartbeat(): boolean {
    if (this.resumedThisBeat) return false;
    this.resumedThisBeat = true;
    this.probeSent = false;
    if (this.state === "replicate" && this.inflights.full()) this.inflights.freeFirstOne();
    return true;
  }

  /** A new heartbeat interval began: the next heartbeat answer may resume the flow again. */
  beat(): void {
    this.resumedThisBeat = false;
  }

  isPaused(): boolean {
    if (this.state === "probe") return this.probeSent;
    if (this.state === "replicate") return this.inflights.full();
    return true;
  }

  private check(): void {
    invariant(this.match >= 0, () => `progress match ${this.match} is negative`);
    invariant(this.match < this.next, () => `progress match ${this.match} not below next ${this.next}`);
    invariant((this.state === "snapshot") === (this.transfer !== null), () => `progress in ${this.state} with transfer ${this.transfer !== null}`);
    invariant(this.state === "replicate" || this.inflights.size() === 0, () => `${this.inflights.size()} inflight Apps in ${this.state} state`);
  }
}
