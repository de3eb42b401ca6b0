// LogStorage in memory, with exactly SqliteStorage's semantics (the shared write plan): for tests
// and the simulator, where a "crash" means dropping the object and keeping only what it holds.
// Like the disk it stands for, it owns copies of the bytes it is given, each with its checksum,
// checked whenever they are read back.
import type { Entry, HardState, RestoreState, Snapshot, SnapshotMeta } from "../raft/types.ts";
import type { FormatIdentity, LogStorage, NodeIdentity, PersistBatch, StorageOptions, StoredSnapshotInfo, SweepBound } from "./log-storage.ts";
import { entryChecksum, snapshotChecksum, verifyChecksum } from "./checksum.ts";
import { checkChunk, checkSnapshotRange, checkSweepBound, identityToStamp } from "./input-checks.ts";
import { resolveOptions, type ResolvedOptions } from "./storage-options.ts";
import { StorageError } from "./storage-error.ts";
import { isEmptyPlan, mustSync, planPersist, planPublishSnapshot, planSaveSnapshot, type LogView, type WritePlan } from "./write-plan.ts";

interface HeldSnapshot {
  info: StoredSnapshotInfo;
  snapshot: Snapshot;
  checksum: number;
}

interface HeldEntry extends Entry {
  checksum: number;
}

const WHERE = "memory storage";

function holdEntry(e: Entry): HeldEntry {
  const data = e.data.slice();
  return { index: e.index, term: e.term, type: e.type, data, checksum: entryChecksum(e.index, e.term, e.type, data) };
}

function holdSnapshot(meta: SnapshotMeta, data: Uint8Array, createdAtMs: number): HeldSnapshot {
  const info: StoredSnapshotInfo = { ...meta, size: data.byteLength, createdAtMs };
  return { info, snapshot: { meta, data }, checksum: snapshotChecksum(meta, JSON.stringify(meta.membership), data) };
}

export class MemoryStorage implements LogStorage {
  private readonly opts: ResolvedOptions;
  private id: NodeIdentity | null = null;
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  /** Entries after the latest snapshot, contiguous. */
  private entries: HeldEntry[] = [];
  /** Newest first. */
  private snapshots: HeldSnapshot[] = [];
  /** The snapshot being written in pieces; a restart (load) drops it. */
  private pending: { meta: SnapshotMeta; chunks: Uint8Array[]; bytes: number } | null = null;
  private closed = false;

  constructor(opts?: StorageOptions) {
    this.opts = resolveOptions(opts);
  }

  identity(): NodeIdentity | null {
    this.assertOpen();
    return this.id === null ? null : { ...this.id };
  }

  format(given: FormatIdentity): void {
    this.assertOpen();
    const id = identityToStamp(given);
    if (this.id === null) {
      this.id = id;
      return;
    }
    if (this.id.clusterId !== id.clusterId || this.id.nodeId !== id.nodeId) {
      throw new StorageError(
        "identity_mismatch",
        `store belongs to cluster ${this.id.clusterId} node ${this.id.nodeId}, not cluster ${id.clusterId} node ${id.nodeId}`,
      );
    }
  }

  load(): RestoreState {
    this.assertOpen();
    this.pending = null;
    const snapshot = this.latestSnapshot();
    return {
      hardState: { ...this.hard },
      snapshot,
      entries: this.entries.map((e) => this.checkedEntry(e)),
      applied: snapshot?.meta.index ?? 0,
    };
  }

  persist(batch: PersistBatch): void {
    this.write(batch);
  }

  write(batch: PersistBatch): boolean {
    this.assertOpen();
    const plan = planPersist(this.view(), batch, this.opts);
    const needsFlush = !isEmptyPlan(plan) && mustSync(this.hard, plan);
    this.apply(plan);
    return needsFlush;
  }

  /** Memory is as durable as this store gets: every write already is, so `done` runs at once. */
  flush(done: (error: Error | null) => void): void {
    this.assertOpen();
    done(null);
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.assertOpen();
    this.apply(planSaveSnapshot(this.view(), snapshot, this.opts));
  }

  beginSnapshot(meta: SnapshotMeta): void {
    this.assertOpen();
    planPublishSnapshot(this.view(), meta, 0, this.opts);
    this.pending = { meta, chunks: [], bytes: 0 };
  }

  appendSnapshotChunk(data: Uint8Array): void {
    this.assertOpen();
    const pending = this.requirePending("append a snapshot chunk");
    checkChunk(data, pending.meta.index, pending.bytes, this.opts.maxSnapshotBytes);
    pending.chunks.push(data.slice());
    pending.bytes += data.byteLength;
  }

  publishSnapshot(): SnapshotMeta {
    this.assertOpen();
    const pending = this.requirePending("publish a snapshot");
    planPublishSnapshot(this.view(), pending.meta, pending.bytes, this.opts);
    const data = new Uint8Array(pending.bytes);
    let offset = 0;
    for (const c of pending.chunks) {
      data.set(c, offset);
      offset += c.byteLength;
    }
    this.apply(planSaveSnapshot(this.view(), { meta: pending.meta, data }, this.opts));
    this.pending = null;
    return pending.meta;
  }

  abortSnapshot(): void {
    this.assertOpen();
    this.pending = null;
  }

  /** Nothing to sweep: covered entries and a dropped snapshot's bytes go at once in memory. */
  sweepSnapshots(bound: SweepBound): number {
    this.assertOpen();
    checkSweepBound(bound);
    return 0;
  }

  listSnapshots(): StoredSnapshotInfo[] {
    this.assertOpen();
    return this.snapshots.map((s) => ({ ...s.info }));
  }

  readSnapshotChunk(index: number, size: number, offset: number, length: number): Uint8Array | null {
    this.assertOpen();
    checkSnapshotRange(index, size, offset, length);
    const held = this.snapshots.find((s) => s.info.index === index && s.info.size === size);
    if (held === undefined) return null;
    const { meta, data } = held.snapshot;
    verifyChecksum(this.opts, WHERE, { kind: "snapshot", index }, held.checksum, () => snapshotChecksum(meta, JSON.stringify(meta.membership), data));
    return data.slice(offset, offset + length);
  }

  latestSnapshot(): Snapshot | null {
    this.assertOpen();
    const held = this.snapshots[0];
    if (held === undefined) return null;
    const { meta, data } = held.snapshot;
    verifyChecksum(this.opts, WHERE, { kind: "snapshot", index: meta.index }, held.checksum, () => snapshotChecksum(meta, JSON.stringify(meta.membership), data));
    return { meta, data: data.slice() };
  }

  close(): void {
    this.closed = true;
  }

  private view(): LogView {
    const snap = this.snapshots[0]?.info;
    const last = this.entries[this.entries.length - 1];
    const snapshotIndex = snap?.index ?? 0;
    return {
      snapshotIndex,
      snapshotTerm: snap?.term ?? 0,
      lastIndex: last?.index ?? snapshotIndex,
      lastTerm: last?.term ?? snap?.term ?? 0,
      hardState: this.hard,
      termAt: (index) => {
        const held = this.entries[index - snapshotIndex - 1];
        if (held === undefined) return undefined;
        this.verify(held);
        return held.term;
      },
    };
  }

  /** A copy of a held entry, once its checksum holds (ChecksumError naming the index otherwise). */
  private checkedEntry(e: HeldEntry): Entry {
    this.verify(e);
    return { index: e.index, term: e.term, type: e.type, data: e.data.slice() };
  }

  private verify(e: HeldEntry): void {
    verifyChecksum(this.opts, WHERE, { kind: "entry", index: e.index }, e.checksum, () => entryChecksum(e.index, e.term, e.type, e.data));
  }

  /** In place (the plan is already validated, so nothing below can fail half-way): O(batch) per append. */
  private apply(plan: WritePlan): void {
    const base = this.view().snapshotIndex;
    if (plan.deleteFrom !== null) this.entries.length = Math.max(0, Math.min(this.entries.length, plan.deleteFrom - base - 1));
    if (plan.deleteThrough > base) this.entries.splice(0, plan.deleteThrough - base);
    for (const e of plan.append) this.entries.push(holdEntry(e));
    if (plan.snapshot !== null) this.keepSnapshot(plan.snapshot);
    if (plan.hardState !== null) this.hard = { ...plan.hardState };
    this.assertMatches(plan);
  }

  private keepSnapshot(snapshot: Snapshot): void {
    const held = holdSnapshot(snapshot.meta, snapshot.data.slice(), this.opts.now());
    this.snapshots = [held, ...this.snapshots].slice(0, this.opts.retainSnapshots);
  }

  /** The state written must be the state the plan predicted; anything else is a bug here. */
  private assertMatches(plan: WritePlan): void {
    const v = this.view();
    const a = plan.after;
    const first = this.entries[0];
    if (
      v.lastIndex !== a.lastIndex ||
      v.lastTerm !== a.lastTerm ||
      v.snapshotIndex !== a.snapshotIndex ||
      (first !== undefined && first.index !== v.snapshotIndex + 1)
    ) {
      throw new StorageError("internal", `memory storage diverged from its write plan: ${JSON.stringify({ view: v, after: a })}`);
    }
  }

  private requirePending(what: string): { meta: SnapshotMeta; chunks: Uint8Array[]; bytes: number } {
    if (this.pending === null) throw new StorageError("no_pending_snapshot", `cannot ${what}: no snapshot is being written (beginSnapshot first)`);
    return this.pending;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError("closed", "memory storage is closed");
  }
}
