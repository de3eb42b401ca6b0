// The LogStorage a simulated runtime writes through: the real write planner (src/storage/
// write-plan.ts, shared with SqliteStorage and MemoryStorage) over a SimDisk, the device that keeps
// what a crash leaves. Each life of a node gets its own handle; a crash kills it, so the dropped
// process can write nothing more. The device's faults strike here: a crash point right after a
// durable write, a torn write (a crash in the middle of one), and a corrupt read at start-up,
// caught by the checksum each entry was written with (a storage that skips the check is a planted
// bug: it loads the bad bytes).
import type { HardState, RestoreState, Snapshot, SnapshotMeta } from "../../src/raft/types.ts";
import type { FormatIdentity, LogStorage, NodeIdentity, PersistBatch, StoredSnapshotInfo, SweepBound } from "../../src/storage/log-storage.ts";
import { checkChunk, checkSweepBound } from "../../src/storage/input-checks.ts";
import { StorageError } from "../../src/storage/storage-error.ts";
import { resolveOptions, type ResolvedOptions } from "../../src/storage/storage-options.ts";
import { isEmptyPlan, mustSync, planPersist, planPublishSnapshot, planSaveSnapshot, type WritePlan } from "../../src/storage/write-plan.ts";
import type { SimDisk } from "./sim-disk.ts";

/** Thrown inside a write when the simulated process died there: the runtime must do nothing more. */
export class SimCrash extends Error {
  constructor(nodeId: number) {
    super(`node ${nodeId} crashed in the middle of a write`);
    this.name = "SimCrash";
  }
}

export interface DeviceHooks {
  /** At load: the index of an entry the device reads back corrupt, or null. */
  corruptRead(): number | null;
  /** Before `plan` is written: entries to keep of it if a crash tears it now, or null (no tear). */
  tearPoint(plan: WritePlan): number | null;
  /** `batch` is durable (the disk changed from `previousCommit`); a crash point may strike now. */
  persisted(batch: PersistBatch, previousCommit: number): void;
  /** Whether the process that owns this handle is still alive. */
  alive(): boolean;
  /** The node crashed inside a write (a torn write): take it down. */
  crashNow(): void;
}

export class SimStorage implements LogStorage {
  private readonly opts: ResolvedOptions;
  private pending: { meta: SnapshotMeta; chunks: Uint8Array[]; bytes: number } | null = null;

  constructor(
    private readonly disk: SimDisk,
    private readonly identityOf: NodeIdentity,
    private readonly hooks: DeviceHooks,
    now: () => number,
    private readonly verifyChecksums: boolean,
  ) {
    this.opts = resolveOptions({ now, retainSnapshots: 1 });
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
    const { state, badAt } = this.disk.read(this.hooks.corruptRead());
    if (badAt !== null && this.verifyChecksums) {
      throw new StorageError("corrupt", `entry ${badAt} does not match the checksum it was written with; refusing to start from a corrupt log`);
    }
    return state;
  }

  persist(batch: PersistBatch): void {
    this.write(planPersist(this.disk.view(), batch, this.opts), batch);
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.write(planSaveSnapshot(this.disk.view(), snapshot, this.opts), null);
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

  publishSnapshot(): SnapshotMeta {
    const p = this.requirePending("publish a snapshot");
    const data = new Uint8Array(p.bytes);
    let offset = 0;
    for (const c of p.chunks) {
      data.set(c, offset);
      offset += c.byteLength;
    }
    this.saveSnapshot({ meta: p.meta, data });
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
    return this.disk.snapshot();
  }

  /** The runtime stopped; the device stays (it is the node's disk). */
  close(): void {}

  /** One plan, validated before anything is written, then written whole, torn, or not at all. */
  private write(plan: WritePlan, batch: PersistBatch | null): void {
    this.assertAlive();
    if (isEmptyPlan(plan)) return;
    const before: HardState = this.disk.hardState();
    const keep = this.hooks.tearPoint(plan);
    if (keep !== null) {
      this.disk.tear(plan, keep);
      this.hooks.crashNow();
      throw new SimCrash(this.identityOf.nodeId);
    }
    this.disk.write(plan, mustSync(before, plan));
    if (batch !== null) this.hooks.persisted(batch, before.commit);
    if (!this.hooks.alive()) throw new SimCrash(this.identityOf.nodeId); // a crash point struck after the write
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
