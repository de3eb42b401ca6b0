// A node's simulated disk: exactly what survives a crash — hard state, the log (with truncation on
// conflict) and the latest snapshot. One persist() is one atomic transaction. As in SqliteStorage
// (write-plan.ts mustSync), a write that only moves the commit index is not synced: a crash loses
// it unless a later synced write carried it to disk. A fault flag makes the disk misbehave on
// purpose so the bug-injection tests can show the simulator catches it.
import type { Entry, HardState, RestoreState, Snapshot } from "../../src/raft/types.ts";
import type { LogView, WritePlan } from "../../src/storage/write-plan.ts";
import { SimViolation } from "./violation.ts";

export interface DiskBugs {
  /** Persist the hard state with vote 0: a restarted node may vote twice in one term. */
  forgetVote: boolean;
  /** Runtime mode: the storage loads entries without checking their checksums. */
  skipChecksum?: boolean;
}

const checksum = (e: Entry): number => Bun.hash.crc32(e.data) ^ e.term ^ (e.index * 31);

export interface PersistBatch {
  snapshot: Snapshot | null;
  entries: readonly Entry[];
  hardState: HardState | null;
}

export class SimDisk {
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  /** The commit index as of the last synced write: what a crash leaves. */
  private syncedCommit = 0;
  private snap: Snapshot | null = null;
  /** Contiguous, starting right after the snapshot's index. */
  private log: Entry[] = [];
  /** Each stored entry's checksum, taken when it was written. */
  private readonly sums = new WeakMap<Entry, number>();

  constructor(
    readonly nodeId: number,
    readonly bugs: DiskBugs,
  ) {}

  hardState(): HardState {
    return { ...this.hard };
  }

  snapshot(): Snapshot | null {
    return this.snap;
  }

  snapshotIndex(): number {
    return this.snap?.meta.index ?? 0;
  }

  lastIndex(): number {
    return this.snapshotIndex() + this.log.length;
  }

  entry(index: number): Entry | undefined {
    return this.log[index - this.snapshotIndex() - 1];
  }

  /** Term at `index` if this disk still knows it (log or snapshot boundary), else undefined. */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    if (index === this.snapshotIndex()) return this.snap!.meta.term;
    return this.entry(index)?.term;
  }

  /** One Ready's writes, atomically: snapshot, then entries (truncating a conflicting suffix), then hard state. */
  persist(batch: PersistBatch): void {
    const hs = batch.hardState;
    const commitOnly =
      batch.snapshot === null && batch.entries.length === 0 && hs !== null && hs.term === this.hard.term && hs.vote === this.hard.vote;
    if (batch.snapshot !== null) this.installSnapshot(batch.snapshot);
    if (batch.entries.length > 0) this.appendEntries(batch.entries);
    if (hs !== null) this.hard = { term: hs.term, vote: this.bugs.forgetVote ? 0 : hs.vote, commit: hs.commit };
    if (!commitOnly) this.syncedCommit = this.hard.commit;
  }

  /** Where the disk stands, as the real storages describe themselves to the write planner. */
  view(): LogView {
    const last = this.log[this.log.length - 1];
    return {
      snapshotIndex: this.snapshotIndex(),
      snapshotTerm: this.snap?.meta.term ?? 0,
      lastIndex: this.lastIndex(),
      lastTerm: last?.term ?? this.snap?.meta.term ?? 0,
      hardState: this.hard,
      termAt: (index) => this.entry(index)?.term,
    };
  }

  /**
   * A plan of the real write planner (src/storage/write-plan.ts), written in its order; `synced`
   * false (mustSync said so) leaves the write in the device's cache, lost by a crash.
   */
  write(plan: WritePlan, synced: boolean): void {
    const base = this.snapshotIndex();
    if (plan.deleteFrom !== null) this.log.length = Math.max(0, Math.min(this.log.length, plan.deleteFrom - base - 1));
    if (plan.deleteThrough > base) this.log.splice(0, plan.deleteThrough - base);
    for (const e of plan.append) this.store(e);
    if (plan.snapshot !== null) this.snap = plan.snapshot;
    const hs = plan.hardState;
    if (hs !== null) this.hard = { term: hs.term, vote: this.bugs.forgetVote ? 0 : hs.vote, commit: hs.commit };
    if (synced) this.syncedCommit = this.hard.commit;
    if (this.lastIndex() !== plan.after.lastIndex || this.snapshotIndex() !== plan.after.snapshotIndex) {
      throw new SimViolation("storage", `node ${this.nodeId}: disk at ${this.snapshotIndex()}..${this.lastIndex()} after a plan for ${plan.after.snapshotIndex}..${plan.after.lastIndex}`);
    }
  }

  /**
   * A crash in the middle of writing `plan`: the truncation and the first `keep` appended entries
   * reached the device, the rest (and the hard state after them) did not. Recovery drops the torn
   * entry at the tail, as a log with a checksum per entry does; nothing of it was acknowledged.
   */
  tear(plan: WritePlan, keep: number): void {
    if (plan.snapshot !== null || plan.deleteThrough > 0) return; // a snapshot write is one row: all or nothing
    const base = this.snapshotIndex();
    if (plan.deleteFrom !== null) this.log.length = Math.max(0, Math.min(this.log.length, plan.deleteFrom - base - 1));
    for (const e of plan.append.slice(0, keep)) this.store(e);
    if (this.hard.commit > this.lastIndex()) {
      throw new SimViolation("storage", `node ${this.nodeId}: a torn write left commit ${this.hard.commit} beyond the log end ${this.lastIndex()}`);
    }
  }

  /** A new, empty disk with the same fault flags: what `yakt format` leaves after a disk is lost. */
  blank(): SimDisk {
    return new SimDisk(this.nodeId, this.bugs);
  }

  /** The machine went down: a commit index written without a sync is gone. True when one was. */
  crash(): boolean {
    const lost = this.hard.commit !== this.syncedCommit;
    this.hard = { ...this.hard, commit: this.syncedCommit };
    return lost;
  }

  /** The app's own snapshot (log compaction): everything up to its index leaves the log. */
  compact(snapshot: Snapshot): void {
    const at = snapshot.meta.index;
    if (at <= this.snapshotIndex()) return;
    if (at > this.lastIndex()) {
      throw new SimViolation("runtime", `node ${this.nodeId}: compaction to ${at} beyond the persisted log end ${this.lastIndex()}`);
    }
    this.log = this.log.slice(at - this.snapshotIndex());
    this.snap = snapshot;
    this.syncedCommit = this.hard.commit; // a synced write: everything before it is on disk too
  }

  restoreState(): RestoreState {
    return {
      hardState: { ...this.hard },
      snapshot: this.snap,
      entries: this.log.map((e) => ({ ...e })),
      applied: this.snapshotIndex(),
    };
  }

  /**
   * What a read of the whole disk returns, with the entry at `corruptAt` (if any) read back with
   * one byte flipped — a bad sector or a misdirected read — and whether each entry still matches
   * the checksum written with it.
   */
  read(corruptAt: number | null): { state: RestoreState; badAt: number | null } {
    const state = this.restoreState();
    const i = corruptAt === null ? -1 : corruptAt - this.snapshotIndex() - 1;
    const hit = state.entries[i];
    if (hit !== undefined) {
      const data = hit.data.length > 0 ? hit.data.slice() : new Uint8Array([0]);
      data[data.length >> 1]! ^= 0x20;
      state.entries[i] = { ...hit, data };
    }
    const bad = state.entries.findIndex((e, k) => this.sums.get(this.log[k]!) !== checksum(e));
    return { state, badAt: bad < 0 ? null : state.entries[bad]!.index };
  }

  private store(e: Entry): void {
    const stored = { ...e };
    this.sums.set(stored, checksum(stored));
    this.log.push(stored);
  }

  private installSnapshot(s: Snapshot): void {
    const at = s.meta.index;
    if (at <= this.snapshotIndex()) {
      throw new SimViolation("ready", `node ${this.nodeId}: Ready snapshot at ${at} is not newer than the persisted one at ${this.snapshotIndex()}`);
    }
    // Keep the suffix only when the log agrees with the snapshot at its index (Raft §7).
    const keep = this.term(at) === s.meta.term ? this.log.slice(at - this.snapshotIndex()) : [];
    this.snap = s;
    this.log = keep;
  }

  private appendEntries(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    if (first <= this.snapshotIndex() || first > this.lastIndex() + 1) {
      throw new SimViolation(
        "ready",
        `node ${this.nodeId}: Ready entries start at ${first}, outside the persisted range (${this.snapshotIndex()}, ${this.lastIndex() + 1}]`,
      );
    }
    entries.forEach((e, i) => {
      if (e.index !== first + i) throw new SimViolation("ready", `node ${this.nodeId}: Ready entries are not contiguous at ${e.index}`);
    });
    this.log.length = first - this.snapshotIndex() - 1;
    for (const e of entries) this.store(e);
  }
}
