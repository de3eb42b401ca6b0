// The LogStorage a simulated runtime writes through: the real write planner (src/storage/
// write-plan.ts, shared with SqliteStorage and MemoryStorage) over a SimDisk, the device that keeps
// what a crash leaves. Each life of a node gets its own handle; a crash kills it, so the dropped
// process can write nothing more. write() puts a batch in the device's cache; flush() answers
// later, on the node's virtual timers after the device's seeded latency, and only then are the
// writes it covers durable — never if the process died meanwhile (as SqliteStorage fsyncs its WAL
// off the event loop). The device's faults strike here: a crash point right after a flush made a
// batch durable, a torn write (a crash in the middle of one), and a corrupt read at start-up of a
// log entry or of a piece of the snapshot (its row or a chunk). Reads are checked the way the real
// storages check theirs: the real checksums (src/storage/checksum.ts) through the real
// verifyChecksum under the real StorageOptions, so the planted "skip a checksum" bug is the real
// skipChecksums seam switched on, and the bad bytes are loaded.
import type { Timers } from "../../src/node/timers.ts";
import type { RestoreState, Snapshot, SnapshotMeta } from "../../src/raft/types.ts";
import { chunkChecksum, entryChecksum, snapshotChecksum, verifyChecksum } from "../../src/storage/checksum.ts";
import type { FormatIdentity, LogStorage, NodeIdentity, PersistBatch, StoredSnapshotInfo, SweepBound } from "../../src/storage/log-storage.ts";
import { checkChunk, checkSnapshotRange, checkSweepBound } from "../../src/storage/input-checks.ts";
import { StorageError } from "../../src/storage/storage-error.ts";
import { resolveOptions, type ResolvedOptions } from "../../src/storage/storage-options.ts";
import { isEmptyPlan, mustSync, planPersist, planPublishSnapshot, planSaveSnapshot, type WritePlan } from "../../src/storage/write-plan.ts";
import type { WrittenBatch } from "./safety-checker.ts";
import type { CorruptRead, RawRead, SimDisk, StoredSnapshot } from "./sim-disk.ts";

/** Where a checksum failure names the device (as SqliteStorage names its file). */
const WHERE = "simulated disk";

/** Thrown inside a write when the simulated process died there: the runtime must do nothing more. */
export class SimCrash extends Error {
  constructor(nodeId: number) {
    super(`node ${nodeId} crashed in the middle of a write`);
    this.name = "SimCrash";
  }
}

export interface DeviceHooks {
  /** At load: the piece (an entry or part of the snapshot) the device reads back corrupt, or null. */
  corruptRead(): CorruptRead | null;
  /** Before `plan` is written: entries to keep of it if a crash tears it now, or null (no tear). */
  tearPoint(plan: WritePlan): number | null;
  /** `batch` (written as `written` recorded it) is durable now; a crash point may strike. */
  persisted(batch: PersistBatch, written: WrittenBatch): void;
  /** What the checker needs of `batch`, taken right after it was written (the disk's commit was `previousCommit` before). */
  written(batch: PersistBatch, previousCommit: number): WrittenBatch;
  /** Whether the process that owns this handle is still alive. */
  alive(): boolean;
  /** The node crashed inside a write (a torn write): take it down. */
  crashNow(): void;
}

/** A Ready's batch in the cache, waiting for the flush that makes it durable. */
interface Awaiting {
  /** Its write's number on the device (SimDisk.writesMade() right after it). */
  seq: number;
  batch: PersistBatch;
  written: WrittenBatch;
}

export class SimStorage implements LogStorage {
  private readonly opts: ResolvedOptions;
  private pending: { meta: SnapshotMeta; chunks: Uint8Array[]; bytes: number } | null = null;
  /** Batches written and not yet reported durable, oldest first. */
  private readonly awaiting: Awaiting[] = [];
  private flushing = false;

  constructor(
    private readonly disk: SimDisk,
    private readonly identityOf: NodeIdentity,
    private readonly hooks: DeviceHooks,
    /** The process's timers: a flush answers through them, so a dead process never hears back. */
    private readonly timers: Pick<Timers, "now" | "setTimeout">,
    /** The real test seam (StorageOptions.skipChecksums): the planted "skip a checksum" bug. */
    skipChecksums: boolean,
  ) {
    this.opts = resolveOptions({ now: () => timers.now(), retainSnapshots: 1, skipChecksums });
  }

  identity(): NodeIdentity | null {
    return { ...this.identityOf };
  }

  format(given: FormatIdentity): void {
    if (given.clusterId !== this.identityOf.clusterId || given.nodeId !== this.identityOf.nodeId) {
      throw new StorageError("identity_mismatch", `simulated disk belongs to node ${this.identityOf.nodeId}, not ${given.nodeId}`);
    }
  }

  load(): RestoreState {
    this.assertAlive();
    this.pending = null;
    return this.checked(this.disk.read(this.hooks.corruptRead()));
  }

  /** write() and, at once, a flush of everything written so far (the synchronous path). */
  persist(batch: PersistBatch): void {
    this.write(batch);
    this.durableThrough(this.disk.writesMade());
  }

  write(batch: PersistBatch): boolean {
    const before = this.disk.hardState();
    const plan = planPersist(this.disk.view(), batch, this.opts);
    if (!this.writePlan(plan)) return false;
    const written = this.hooks.written(batch, before.commit);
    this.awaiting.push({ seq: this.disk.writesMade(), batch, written });
    return mustSync(before, plan);
  }

  /**
   * Makes every write made before the call durable after the device's latency, then answers —
   * through the process's timers, so not while it is paused and never once it died. One at a time.
   */
  flush(done: (error: Error | null) => void): void {
    this.assertAlive();
    if (this.flushing) throw new Error(`node ${this.identityOf.nodeId}: flush() called while a flush is in flight`);
    this.flushing = true;
    const upTo = this.disk.writesMade();
    this.timers.setTimeout(() => {
      this.flushing = false;
      if (!this.hooks.alive()) return;
      if (this.durableThrough(upTo)) done(null);
    }, this.disk.flushLatency());
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.writePlan(planSaveSnapshot(this.disk.view(), snapshot, this.opts));
  }

  beginSnapshot(meta: SnapshotMeta): void {
    this.assertAlive();
    planPublishSnapshot(this.disk.view(), meta, 0, this.opts);
    this.pending = { meta, chunks: [], bytes: 0 };
  }

  appendSnapshotChunk(data: Uint8Array): void {
    this.assertAlive();
    const p = this.requirePending("append a snapshot chunk");
    checkChunk(data, p.meta.index, p.bytes, this.opts.maxSnapshotBytes);
    p.chunks.push(data.slice());
    p.bytes += data.byteLength;
  }

  /** Stored as its chunks, each with its checksum, as SqliteStorage stores a snapshot written in pieces. */
  publishSnapshot(): SnapshotMeta {
    const p = this.requirePending("publish a snapshot");
    const snapshot = { meta: p.meta, data: joined(p.chunks) };
    this.writePlan(planSaveSnapshot(this.disk.view(), snapshot, this.opts), p.chunks);
    this.pending = null;
    return p.meta;
  }

  abortSnapshot(): void {
    this.pending = null;
  }

  sweepSnapshots(bound: SweepBound): number {
    checkSweepBound(bound);
    return 0;
  }

  listSnapshots(): StoredSnapshotInfo[] {
    const s = this.disk.snapshot();
    return s === null ? [] : [{ ...s.meta, size: s.data.byteLength, createdAtMs: 0 }];
  }

  latestSnapshot(): Snapshot | null {
    this.assertAlive();
    const s = this.disk.storedSnapshot();
    return s === null ? null : this.checkedSnapshot(s);
  }

  /** The device keeps one snapshot: a range of it when it is the one named, else null (pruned). */
  readSnapshotChunk(index: number, size: number, offset: number, length: number): Uint8Array | null {
    this.assertAlive();
    checkSnapshotRange(index, size, offset, length);
    const s = this.disk.storedSnapshot();
    if (s === null || s.meta.index !== index) return null;
    const { data } = this.checkedSnapshot(s);
    return data.byteLength === size ? data.slice(offset, offset + length) : null;
  }

  /** The runtime stopped; the device stays (it is the node's disk). */
  close(): void {}

  /**
   * One plan, validated before anything is written, then written into the device's cache whole,
   * torn (the process dies: SimCrash), or not at all (an empty plan: false).
   */
  private writePlan(plan: WritePlan, chunks: readonly Uint8Array[] | null = null): boolean {
    this.assertAlive();
    if (isEmptyPlan(plan)) return false;
    const keep = this.hooks.tearPoint(plan);
    if (keep !== null) {
      this.disk.tear(plan, keep);
      this.hooks.crashNow();
      throw new SimCrash(this.identityOf.nodeId);
    }
    this.disk.write(plan, chunks);
    return true;
  }

  /**
   * The writes up to `seq` are durable: each batch among them is reported, in order, and a crash
   * point may strike after any of them. False when the process died there.
   */
  private durableThrough(seq: number): boolean {
    this.disk.flushedThrough(seq);
    while (this.awaiting.length > 0 && this.awaiting[0]!.seq <= seq) {
      const w = this.awaiting.shift()!;
      this.hooks.persisted(w.batch, w.written);
      if (!this.hooks.alive()) return false;
    }
    return true;
  }

  /** The read checked as the real storages check theirs: a failed checksum is a ChecksumError ("corrupt"). */
  private checked(read: RawRead): RestoreState {
    const entries = read.entries.map(({ entry: e, sum }) => {
      verifyChecksum(this.opts, WHERE, { kind: "entry", index: e.index }, sum, () => entryChecksum(e.index, e.term, e.type, e.data));
      return e;
    });
    const snapshot = read.snapshot === null ? null : this.checkedSnapshot(read.snapshot);
    return { hardState: read.hardState, snapshot, entries, applied: snapshot?.meta.index ?? 0 };
  }

  /** The row, then each chunk (SqliteStorage's order); the bytes are the row's or the chunks' joined. */
  private checkedSnapshot(s: StoredSnapshot): Snapshot {
    const index = s.meta.index;
    verifyChecksum(this.opts, WHERE, { kind: "snapshot", index }, s.row.sum, () => snapshotChecksum(s.meta, s.membershipJson, s.row.data));
    s.chunks.forEach((c, seq) => verifyChecksum(this.opts, WHERE, { kind: "snapshot chunk", index, seq }, c.sum, () => chunkChecksum(index, seq, c.data)));
    if (s.chunks.length === 0) return { meta: s.meta, data: s.row.data };
    return { meta: s.meta, data: joined(s.chunks.map((c) => c.data)) };
  }

  private requirePending(what: string): { meta: SnapshotMeta; chunks: Uint8Array[]; bytes: number } {
    this.assertAlive();
    if (this.pending === null) throw new StorageError("no_pending_snapshot", `cannot ${what}: no snapshot is being written (beginSnapshot first)`);
    return this.pending;
  }

  private assertAlive(): void {
    if (!this.hooks.alive()) throw new SimCrash(this.identityOf.nodeId);
  }
}

const joined = (chunks: readonly Uint8Array[]): Uint8Array => new Uint8Array(Bun.concatArrayBuffers([...chunks]));
