// LogStorage in one bun:sqlite database per node: one writing connection in WAL mode, one
// transaction per write. Commits run under synchronous=NORMAL and the WAL is fsynced by
// wal-sync.ts: at once for persist(), on the I/O thread pool for write() + flush(), so the event
// loop never waits on the disk for a Raft write; the WAL is folded back into the database by the
// checkpoint worker's own connection (wal-checkpointer.ts), not inside a commit. The store's lock
// file keeps other processes out (store-lock.ts). Where the log stands is cached in memory so
// invariant checks cost no queries on the common append path.
import type { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Entry, Membership, RestoreState, Snapshot, SnapshotMeta } from "../raft/types.ts";
import { entryChecksum, verifyChecksum } from "./checksum.ts";
import { EntryInserts } from "./sqlite-entry-inserts.ts";
import type { FormatIdentity, LogStorage, NodeIdentity, PersistBatch, StorageOptions, StoredSnapshotInfo, SweepBound } from "./log-storage.ts";
import { checkChunk, checkSnapshot, checkSnapshotRange, checkSweepBound, identityToStamp } from "./input-checks.ts";
import { freeOwnedBytes } from "./owned-bytes.ts";
import { SnapshotPieces } from "./sqlite-snapshot-pieces.ts";
import { StagedInstall } from "./sqlite-staged-install.ts";
import { checkDurability, checkIntegrity, openDatabase, setDurabilityPragmas } from "./sqlite-open-checks.ts";
import { readCheckedBounds } from "./sqlite-log-check.ts";
import { ensureSchema } from "./sqlite-schema.ts";
import { type EntryRow, prepareStatements, type SnapshotRow, type Statements } from "./sqlite-statements.ts";
import { resolveOptions, type ResolvedOptions } from "./storage-options.ts";
import { StorageError } from "./storage-error.ts";
import type { StoreLock } from "./store-lock.ts";
import { type CheckpointStats, WalCheckpointer } from "./wal-checkpointer.ts";
import { WalSync } from "./wal-sync.ts";
import {
  isEmptyPlan,
  type LogBounds,
  type LogView,
  mustSync,
  planPersist,
  planPublishSnapshot,
  planSaveSnapshot,
  type WritePlan,
} from "./write-plan.ts";

/** The database's file name inside a node's data directory. */
export const DB_FILE_NAME = "yakt.db";

/** The snapshot being written in pieces: its (pending) row and how far it got. */
interface PendingSnapshot {
  id: number;
  meta: SnapshotMeta;
  chunks: number;
  bytes: number;
}

export class SqliteStorage implements LogStorage {
  private closed = false;
  private pending: PendingSnapshot | null = null;
  private readonly checkpoints: WalCheckpointer;
  private readonly applyPlan: { immediate: (plan: WritePlan) => void };
  private readonly publishPlan: { immediate: (plan: WritePlan, pending: PendingSnapshot) => void };
  private readonly pieces: SnapshotPieces;
  private readonly staged: StagedInstall;
  private readonly inserts: EntryInserts;

  private constructor(
    private readonly db: Database,
    private readonly st: Statements,
    private readonly path: string,
    private readonly opts: ResolvedOptions,
    private bounds: LogBounds,
    private readonly lock: StoreLock,
    private readonly wal: WalSync,
  ) {
    this.checkpoints = new WalCheckpointer(db, path, {
      intervalMs: opts.checkpointIntervalMs,
      walHardLimitBytes: opts.walHardLimitBytes,
      stopTimeoutMs: opts.busyTimeoutMs,
      workerUrl: opts.checkpointWorkerUrl,
      log: opts.log,
    });
    this.checkpoints.start();
    this.pieces = new SnapshotPieces(st, path, opts);
    this.staged = new StagedInstall(st, this.pieces, opts.now);
    this.inserts = new EntryInserts(db);
    this.applyPlan = db.transaction((plan: WritePlan) => this.writePlan(plan));
    this.publishPlan = db.transaction((plan: WritePlan, pending: PendingSnapshot) => this.publish(plan, pending));
  }

  /** Opens (creating if needed) the database at `path`; refuses a damaged or foreign one. */
  static open(path: string, opts?: StorageOptions): SqliteStorage {
    const resolved = resolveOptions(opts);
    const { db, lock } = openDatabase(path, resolved.busyTimeoutMs);
    const wal = new WalSync(`${path}-wal`);
    try {
      wal.syncInherited();
      checkIntegrity(db, path);
      setDurabilityPragmas(db, path, resolved.walHardLimitBytes);
      ensureSchema(db, path);
      const st = prepareStatements(db);
      dropUnpublished(db, st);
      return new SqliteStorage(db, st, path, resolved, readCheckedBounds(st, path), lock, wal);
    } catch (err) {
      wal.close();
      db.close();
      lock.release();
      throw err;
    }
  }

  /** Opens `<dataDir>/yakt.db`, creating the directory if needed. */
  static openDataDir(dataDir: string, opts?: StorageOptions): SqliteStorage {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new StorageError("open_failed", `cannot create data directory ${dataDir}: ${(err as Error).message}`);
    }
    return SqliteStorage.open(join(dataDir, DB_FILE_NAME), opts);
  }

  identity(): NodeIdentity | null {
    this.assertOpen();
    const row = this.st.identity.get();
    return row === null ? null : { clusterId: row.cluster_id, nodeId: row.node_id, directoryId: row.directory_id };
  }

  format(given: FormatIdentity): void {
    const id = identityToStamp(given);
    const current = this.identity();
    if (current === null) {
      this.st.setIdentity.run(id.clusterId, id.nodeId, id.directoryId);
      this.wal.syncNow(); // the directory id is what a vote is bound to: durable before any vote
      this.afterWrite();
      return;
    }
    if (current.clusterId !== id.clusterId || current.nodeId !== id.nodeId) {
      throw new StorageError(
        "identity_mismatch",
        `${this.path} belongs to cluster ${current.clusterId} node ${current.nodeId}, not cluster ${id.clusterId} node ${id.nodeId}`,
      );
    }
  }

  /**
   * The voters this node was first started with, ascending; null when not known (a joiner, or a
   * store first started before they were kept). Peers compare them in the handshake.
   */
  foundingVoters(): number[] | null {
    this.assertOpen();
    const text = this.st.foundingVoters.get()?.founding_voters ?? "";
    if (text === "") return null;
    const ids = text.split(",").map(Number);
    if (!ids.every((id) => Number.isSafeInteger(id) && id > 0)) {
      throw new StorageError("invalid_identity", `${this.path} holds unreadable founding voters ${JSON.stringify(text)}`);
    }
    return ids;
  }

  /** Keeps the voters of this node's first start, once: a formatted store that knows none yet. */
  recordFoundingVoters(voters: readonly number[]): void {
    this.assertOpen();
    if (this.identity() === null) throw new StorageError("invalid_identity", `${this.path} is not formatted: no identity to add founding voters to`);
    if (voters.length === 0 || !voters.every((id) => Number.isSafeInteger(id) && id > 0)) {
      throw new StorageError("invalid_identity", `founding voters must be positive integers, got ${JSON.stringify(voters)}`);
    }
    this.st.setFoundingVoters.run([...new Set(voters)].sort((a, b) => a - b).join(","));
    this.wal.syncNow();
    this.afterWrite();
  }

  /** Nothing written yet but the identity: no term, vote, commit, entry or snapshot (a first start). */
  pristine(): boolean {
    this.assertOpen();
    return (this.st.pristine.get()?.n ?? 0) === 0;
  }

  load(): RestoreState {
    this.assertOpen();
    this.abortSnapshot();
    const snapshot = this.latestSnapshot();
    const entries = this.st.entriesFrom.all(this.bounds.snapshotIndex + 1).map((r) => this.checkedEntry(r));
    const applied = snapshot?.meta.index ?? 0;
    return { hardState: { ...this.bounds.hardState }, snapshot, entries, applied };
  }

  persist(batch: PersistBatch): void {
    if (this.write(batch)) this.wal.syncNow();
  }

  write(batch: PersistBatch): boolean {
    this.assertOpen();
    return this.commit(planPersist(this.view(), batch, this.opts));
  }

  flush(done: (error: Error | null) => void): void {
    this.assertOpen();
    this.wal.sync(done);
  }

  stageInstall(snapshot: Snapshot): void {
    this.assertOpen();
    checkSnapshot(snapshot, this.opts);
    this.staged.begin(snapshot);
    this.afterWrite();
  }

  stageInstallStep(maxBytes: number): boolean {
    this.assertOpen();
    const done = this.staged.step(maxBytes);
    this.afterWrite();
    return done;
  }

  /** Every snapshot this store hands out or has written is a copy of its own: the caller's bytes are free to go. */
  releaseSnapshotBytes(snapshot: Snapshot): void {
    // A snapshot still being staged is still read from here: it goes once published (settled).
    if (this.staged.holds(snapshot)) return;
    freeOwnedBytes(snapshot.data);
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.assertOpen();
    this.commit(planSaveSnapshot(this.view(), snapshot, this.opts));
  }

  beginSnapshot(meta: SnapshotMeta): void {
    this.assertOpen();
    planPublishSnapshot(this.view(), meta, 0, this.opts);
    const id = this.db.transaction(() => {
      this.st.dropPendingSnapshots.run();
      return this.pieces.insertRow(meta, 0, this.opts.now(), "own");
    }).immediate();
    this.pending = { id, meta, chunks: 0, bytes: 0 };
    this.afterWrite();
  }

  appendSnapshotChunk(data: Uint8Array): void {
    this.assertOpen();
    const pending = this.requirePending("append a snapshot chunk");
    checkChunk(data, pending.meta.index, pending.bytes, this.opts.maxSnapshotBytes);
    this.pieces.insertPiece(pending.id, pending.meta.index, pending.chunks, data);
    pending.chunks++;
    pending.bytes += data.byteLength;
    this.afterWrite();
  }

  publishSnapshot(): SnapshotMeta {
    this.assertOpen();
    const pending = this.requirePending("publish a snapshot");
    const plan = planPublishSnapshot(this.view(), pending.meta, pending.bytes, this.opts);
    this.publishPlan.immediate(plan, pending);
    this.bounds = plan.after;
    this.pending = null;
    this.afterWrite();
    return pending.meta;
  }

  abortSnapshot(): void {
    this.assertOpen();
    if (this.pending === null) return;
    this.st.dropPendingSnapshots.run();
    this.pending = null;
  }

  sweepSnapshots(bound: SweepBound): number {
    this.assertOpen();
    checkSweepBound(bound);
    const covered = this.bounds.snapshotIndex;
    this.db.transaction(() => {
      if (bound.entries > 0) this.sweepEntries(covered, bound.entries);
      if (bound.chunks > 0) this.st.sweepChunks.run(bound.chunks);
    }).immediate();
    this.afterWrite();
    return this.coveredLeft(covered) + (this.st.orphanChunks.get()?.n ?? 0);
  }

  /**
   * Deletes up to `max` of the oldest entries at or below `covered`, as one rowid range: the rows
   * are distinct integers from the first one on, so the range holds at most `max` of them (a third
   * of the CPU of selecting their ids first and deleting those).
   */
  private sweepEntries(covered: number, max: number): void {
    const first = this.st.firstEntry.get();
    if (first === null || first.idx > covered) return;
    this.st.deleteThrough.run(Math.min(covered, first.idx + max - 1));
  }

  /**
   * Entries at or below `covered` still stored, from the log's two ends: the log is contiguous
   * (checked at open, kept by every write), so two rowid lookups give what a COUNT(*) over the
   * covered range gave by walking every row left. That count, asked after each bounded run of the
   * sweep of a 50,000-entry snapshot, made the sweep the largest part of a node's storage work.
   */
  private coveredLeft(covered: number): number {
    const first = this.st.firstEntry.get();
    if (first === null || first.idx > covered) return 0;
    const last = this.st.lastEntry.get();
    if (last === null || last.idx < first.idx) throw new StorageError("internal", `${this.path}: the log's first entry ${first.idx} has no last entry at or after it`);
    return Math.min(covered, last.idx) - first.idx + 1;
  }

  listSnapshots(): StoredSnapshotInfo[] {
    this.assertOpen();
    return this.st.listSnapshots.all().map((r) => this.toInfo(r));
  }

  /** Read into one buffer of the snapshot's size, chunk by chunk (no second copy of the whole). */
  latestSnapshot(): Snapshot | null {
    this.assertOpen();
    const row = this.st.listSnapshots.all()[0];
    if (row === undefined) return null;
    const { size: _size, createdAtMs: _created, ...meta } = this.toInfo(row);
    return { meta, data: this.pieces.readWhole(row) };
  }

  readSnapshotChunk(index: number, size: number, offset: number, length: number): Uint8Array | null {
    this.assertOpen();
    checkSnapshotRange(index, size, offset, length);
    return this.pieces.readRange(index, size, offset, length);
  }

  /** Reads WAL and synchronous=NORMAL back from the connection, as at open; throws if not in force. */
  checkDurability(): void {
    this.assertOpen();
    checkDurability(this.db, this.path);
  }

  /** Where checkpoints run and how they went (wal-checkpointer.ts). */
  checkpointStats(): CheckpointStats {
    return this.checkpoints.stats();
  }

  metrics(): Record<string, number> {
    const c = this.checkpoints.stats();
    return {
      yakt_storage_checkpoint_worker: c.mode === "worker" ? 1 : 0,
      yakt_storage_checkpoint_rounds_total: c.rounds,
      yakt_storage_checkpoint_busy_rounds_total: c.busyRounds,
      yakt_storage_checkpoint_longest_round_ms: c.longestRoundMs,
      yakt_storage_checkpoints_forced_total: c.forced,
      yakt_storage_wal_frames: c.logFrames,
      yakt_storage_wal_checkpointed_frames: c.checkpointedFrames,
    };
  }

  /**
   * Stops the checkpoint worker, folds the WAL into the main file so a closed store is one
   * self-contained file, and lets the lock go last, once nothing of ours has the file open.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.checkpoints.stop();
      // The checkpoint syncs the WAL before folding it in and the database after (synchronous=NORMAL).
      this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } finally {
      this.wal.close();
      // SQLite only really closes (and removes the WAL) once no prepared statement is left.
      for (const stmt of Object.values(this.st)) stmt.finalize();
      this.inserts.finalize();
      this.db.close();
      this.lock.release();
    }
  }

  private view(): LogView {
    return {
      ...this.bounds,
      termAt: (index) => {
        const row = this.st.entryAt.get(index);
        return row === null ? undefined : this.checkedEntry(row).term;
      },
    };
  }

  /** A stored row as an entry, once its checksum holds (ChecksumError naming the index otherwise). */
  private checkedEntry(r: EntryRow): Entry {
    verifyChecksum(this.opts, this.path, { kind: "entry", index: r.idx }, r.checksum, () => entryChecksum(r.idx, r.term, r.type, r.data));
    return { index: r.idx, term: r.term, type: r.type, data: new Uint8Array(r.data) };
  }

  /**
   * The cache moves only once the transaction has committed; a failed write leaves it as it was.
   * True when the commit must be flushed before it is relied on (write-plan.ts mustSync).
   */
  private commit(plan: WritePlan): boolean {
    if (isEmptyPlan(plan)) return false;
    const needsFlush = mustSync(this.bounds.hardState, plan);
    this.applyPlan.immediate(plan);
    if (plan.snapshot !== null) this.staged.settled(plan.snapshot);
    this.bounds = plan.after;
    this.afterWrite();
    return needsFlush;
  }

  /** After every commit: the checkpoint worker's health and the WAL's hard bound (one fstat). */
  private afterWrite(): void {
    this.checkpoints.afterCommit(this.wal.size());
  }

  private writePlan(plan: WritePlan): void {
    const st = this.st;
    if (plan.snapshot !== null) {
      if (!this.staged.publish(plan.snapshot)) this.pieces.insert(plan.snapshot.meta, plan.snapshot.data, this.opts.now());
      st.pruneSnapshots.run(this.opts.retainSnapshots);
    }
    if (plan.deleteThrough > 0) st.deleteThrough.run(plan.deleteThrough);
    if (plan.deleteFrom !== null) st.deleteFrom.run(plan.deleteFrom);
    this.inserts.insert(plan.append);
    const hs = plan.hardState;
    if (hs !== null) st.setHardState.run(hs.term, hs.vote, hs.commit);
  }

  /**
   * The pending row becomes the latest snapshot. The entries it covers and the chunks of pruned
   * rows stay for sweepSnapshots: deleting 10k entries here would hold the caller for tens of ms.
   */
  private publish(plan: WritePlan, pending: PendingSnapshot): void {
    if (plan.deleteFrom !== null || plan.append.length > 0 || plan.hardState !== null) {
      throw new StorageError("internal", `publishing the snapshot at ${pending.meta.index} planned more than a compaction`);
    }
    if (this.st.publishSnapshot.run(pending.bytes, this.opts.now(), pending.id).changes !== 1) {
      throw new StorageError("internal", `${this.path}: pending snapshot ${pending.id} at ${pending.meta.index} is gone`);
    }
    this.st.pruneSnapshots.run(this.opts.retainSnapshots);
  }

  private requirePending(what: string): PendingSnapshot {
    if (this.pending === null) throw new StorageError("no_pending_snapshot", `cannot ${what}: no snapshot is being written (beginSnapshot first)`);
    return this.pending;
  }

  private toInfo(r: SnapshotRow): StoredSnapshotInfo {
    let membership: Membership;
    try {
      membership = JSON.parse(r.membership) as Membership;
    } catch {
      throw new StorageError("corrupt", `${this.path}: snapshot ${r.id} has an unreadable membership`);
    }
    return { index: r.idx, term: r.term, membership, size: r.size, createdAtMs: r.created_at_ms };
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError("closed", `storage ${this.path} is closed`);
  }
}

/**
 * At start-up (where a pause is fine): a pending snapshot did not survive the restart, and what the
 * sweep had not deleted yet (entries a snapshot covers, chunks no row owns) goes now.
 */
function dropUnpublished(db: Database, st: Statements): void {
  db.transaction(() => {
    st.dropPendingSnapshots.run();
    st.dropStagedInstalls.run();
    db.exec("DELETE FROM snapshot_chunks WHERE snapshot_id NOT IN (SELECT id FROM snapshots)");
    db.exec("DELETE FROM entries WHERE idx <= (SELECT COALESCE(MAX(idx), 0) FROM snapshots WHERE pending = 0)");
  }).immediate();
}
