// LogStorage in one bun:sqlite database per node: one connection, WAL with synchronous=FULL, and
// one transaction (one fsync) per persist()/saveSnapshot(). Where the log stands is cached in
// memory so invariant checks cost no queries on the common append path.
import type { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Membership, RestoreState, Snapshot } from "../raft/types.ts";
import type { LogStorage, NodeIdentity, PersistBatch, StorageOptions, StoredSnapshotInfo } from "./log-storage.ts";
import { checkIdentity } from "./input-checks.ts";
import { checkIntegrity, openDatabase, setDurabilityPragmas } from "./sqlite-open-checks.ts";
import { readCheckedBounds } from "./sqlite-log-check.ts";
import { ensureSchema } from "./sqlite-schema.ts";
import { prepareStatements, type SnapshotRow, type Statements } from "./sqlite-statements.ts";
import { resolveOptions, type ResolvedOptions } from "./storage-options.ts";
import { StorageError } from "./storage-error.ts";
import { isEmptyPlan, planPersist, planSaveSnapshot, type LogBounds, type LogView, type WritePlan } from "./write-plan.ts";

/** The database's file name inside a node's data directory. */
export const DB_FILE_NAME = "yakt.db";

export class SqliteStorage implements LogStorage {
  private closed = false;
  private readonly applyPlan: { immediate: (plan: WritePlan) => void };

  private constructor(
    private readonly db: Database,
    private readonly st: Statements,
    private readonly path: string,
    private readonly opts: ResolvedOptions,
    private bounds: LogBounds,
  ) {
    this.applyPlan = db.transaction((plan: WritePlan) => this.write(plan));
  }

  /** Opens (creating if needed) the database at `path`; refuses a damaged or foreign one. */
  static open(path: string, opts?: StorageOptions): SqliteStorage {
    const resolved = resolveOptions(opts);
    const db = openDatabase(path, resolved.busyTimeoutMs);
    try {
      checkIntegrity(db, path);
      setDurabilityPragmas(db, path);
      ensureSchema(db, path);
      const st = prepareStatements(db);
      return new SqliteStorage(db, st, path, resolved, readCheckedBounds(st, path));
    } catch (err) {
      db.close();
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
    return row === null ? null : { clusterId: row.cluster_id, nodeId: row.node_id };
  }

  format(id: NodeIdentity): void {
    checkIdentity(id);
    const current = this.identity();
    if (current === null) {
      this.st.setIdentity.run(id.clusterId, id.nodeId);
      return;
    }
    if (current.clusterId !== id.clusterId || current.nodeId !== id.nodeId) {
      throw new StorageError(
        "identity_mismatch",
        `${this.path} belongs to cluster ${current.clusterId} node ${current.nodeId}, not cluster ${id.clusterId} node ${id.nodeId}`,
      );
    }
  }

  load(): RestoreState {
    this.assertOpen();
    const snapshot = this.latestSnapshot();
    const entries = this.st.entriesFrom
      .all(this.bounds.snapshotIndex + 1)
      .map((r) => ({ index: r.idx, term: r.term, type: r.type, data: new Uint8Array(r.data) }));
    const applied = snapshot?.meta.index ?? 0;
    return { hardState: { ...this.bounds.hardState }, snapshot, entries, applied };
  }

  persist(batch: PersistBatch): void {
    this.assertOpen();
    this.commit(planPersist(this.view(), batch, this.opts));
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.assertOpen();
    this.commit(planSaveSnapshot(this.view(), snapshot, this.opts));
  }

  listSnapshots(): StoredSnapshotInfo[] {
    this.assertOpen();
    return this.st.listSnapshots.all().map((r) => this.toInfo(r));
  }

  latestSnapshot(): Snapshot | null {
    this.assertOpen();
    const row = this.st.listSnapshots.all()[0];
    if (row === undefined) return null;
    const blob = this.st.latestSnapshotData.get(row.id);
    if (blob === null) throw new StorageError("corrupt", `${this.path}: snapshot ${row.id} vanished while read`);
    const { size: _size, createdAtMs: _created, ...meta } = this.toInfo(row);
    return { meta, data: new Uint8Array(blob.data) };
  }

  /** Folds the WAL into the main file so a closed store is one self-contained file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } finally {
      // SQLite only really closes (and removes the WAL) once no prepared statement is left.
      for (const stmt of Object.values(this.st)) stmt.finalize();
      this.db.close();
    }
  }

  private view(): LogView {
    return { ...this.bounds, termAt: (index) => this.st.termAt.get(index)?.term };
  }

  /** The cache moves only once the transaction has committed; a failed write leaves it as it was. */
  private commit(plan: WritePlan): void {
    if (isEmptyPlan(plan)) return;
    this.applyPlan.immediate(plan);
    this.bounds = plan.after;
  }

  private write(plan: WritePlan): void {
    const st = this.st;
    if (plan.snapshot !== null) {
      const { meta, data } = plan.snapshot;
      st.insertSnapshot.run(meta.index, meta.term, JSON.stringify(meta.membership), data, data.byteLength, this.opts.now());
      st.pruneSnapshots.run(this.opts.retainSnapshots);
    }
    if (plan.deleteThrough > 0) st.deleteThrough.run(plan.deleteThrough);
    if (plan.deleteFrom !== null) st.deleteFrom.run(plan.deleteFrom);
    for (const e of plan.append) st.insertEntry.run(e.index, e.term, e.type, e.data);
    const hs = plan.hardState;
    if (hs !== null) st.setHardState.run(hs.term, hs.vote, hs.commit);
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
