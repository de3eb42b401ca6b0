// The durable copy of a node's Raft state: log, hard state and snapshots (membership travels in
// snapshot metas and config entries). The Raft core keeps its log in memory and restarts from
// load(); every write is one atomic step so a crash leaves either all of it or none of it.
// Implementations: MemoryStorage (memory-storage.ts, tests and simulator) and SqliteStorage
// (sqlite-storage.ts, `SqliteStorage.open(path, opts)`), with the same semantics.
import type { StorageLog } from "./storage-log.ts";
import type { Entry, HardState, RestoreState, Snapshot, SnapshotMeta } from "../raft/types.ts";

export interface NodeIdentity {
  clusterId: string;
  nodeId: number;
  /**
   * The data dir's directory id (KIP-853): drawn at random when the store is formatted and never
   * changed, so a node whose disk is wiped and formatted anew presents another one.
   */
  directoryId: string;
}

/** What format() stamps; without directoryId a random UUID is drawn (crypto randomness). */
export type FormatIdentity = Omit<NodeIdentity, "directoryId"> & { directoryId?: string };

/** One Ready's worth of durable state, written in one transaction (group commit). */
export interface PersistBatch {
  hardState: HardState | null;
  entries: Entry[];
  snapshot: Snapshot | null;
}

/** A stored snapshot's meta plus what operators want to see about it. */
export interface StoredSnapshotInfo extends SnapshotMeta {
  /** Size of the snapshot data in bytes. */
  size: number;
  /** When this store saved it, in milliseconds since the Unix epoch (from the injected clock). */
  createdAtMs: number;
}

/** Rows one sweepSnapshots() call may delete. */
export interface SweepBound {
  entries: number;
  chunks: number;
}

export interface StorageOptions {
  /** How many snapshots to keep, newest first (≥ 1). Default 3. */
  retainSnapshots?: number;
  /** Clock for snapshot creation times; default Date.now. */
  now?: () => number;
  /** Bound on one entry's data in bytes. Default 16 MiB. */
  maxEntryBytes?: number;
  /** Bound on entries in one persist(). Default 65 536. */
  maxBatchEntries?: number;
  /** Bound on one snapshot's data in bytes. Default 512 MiB. */
  maxSnapshotBytes?: number;
  /** SQLite only: how long to wait for a lock another process holds before failing. Default 5 000 ms. */
  busyTimeoutMs?: number;
  /** SQLite only: how often the checkpoint worker folds the WAL into the database. Default 500 ms. */
  checkpointIntervalMs?: number;
  /** SQLite only: WAL bytes past which the writer checkpoints itself, blocking (logged). Default 256 MiB. */
  walHardLimitBytes?: number;
  /** SQLite only: where rare storage events are logged (storage-log.ts). Default a JSON line on stderr. */
  log?: StorageLog;
  /** TEST SEAM, never set in production: the checkpoint worker's entrypoint (to make it fail). */
  checkpointWorkerUrl?: string;
  /**
   * TEST SEAM, never set in production (no flag reaches it): reads do not check checksums. The
   * simulator's planted "skip a checksum" bug uses it to show its checkers catch what the checks
   * would have. Checksums are still written.
   */
  skipChecksums?: boolean;
}

export interface LogStorage {
  /** null = not formatted yet. */
  identity(): NodeIdentity | null;
  /**
   * Stamp the store with its cluster, node and directory id once. The same cluster and node again
   * is a no-op that keeps the first directory id; a different one throws "identity_mismatch".
   */
  format(id: FormatIdentity): void;
  /** Latest snapshot + entries after it + hard state; applied = snapshot index or 0. */
  load(): RestoreState;
  /**
   * ONE transaction: the snapshot (keeps the entries after it when the log holds the snapshot's
   * index with its term, else drops every entry), then the entries (an entry whose index ≤ the
   * last stored index replaces it and deletes everything after it), then the hard state.
   * Throws StorageError and writes nothing when the batch breaks an invariant. Durable when it
   * returns, except a batch that only moves the commit index (write-plan.ts mustSync): that one is
   * written without waiting for the disk, as etcd does, and made durable by the next write.
   */
  persist(batch: PersistBatch): void;
  /**
   * persist() without the wait for the disk: the batch is written now, with the same checks and
   * atomically, after every earlier write, and is durable once a flush() started after it has
   * called back. Returns true when the batch must be flushed before anything that depends on it
   * is sent, acknowledged or applied; false when it wrote nothing or only moved the commit index
   * (write-plan.ts mustSync). A crash may lose writes not yet flushed, always a suffix of them.
   */
  write(batch: PersistBatch): boolean;
  /**
   * Makes every write made before the call durable, then calls `done(null)`: later and off the
   * event loop for a real device (SqliteStorage fsyncs its WAL on a worker thread), at once for
   * MemoryStorage. `done(error)` means the device failed and nothing written since the last good
   * flush may be relied on: the node must stop. One flush at a time; call again after `done`.
   * The snapshot calls below (saveSnapshot, the chunked snapshot, sweeps) are made durable by the
   * next flush or persist, like any other write: nothing is acknowledged on their strength alone.
   */
  flush(done: (error: Error | null) => void): void;
  /**
   * Optional, for a store whose write() of a large snapshot would hold the caller (SqliteStorage):
   * stages the snapshot a follower is about to install, ahead of the write() whose batch carries
   * this very object. stageInstall starts it (dropping any earlier staged one) and checks it as
   * write() would; each stageInstallStep writes about `maxBytes` more in its own short transaction
   * and says whether all is written. Until that write() publishes it, in its own transaction and
   * with every rule of an installed snapshot, it is invisible, and a restart drops it.
   */
  stageInstall?(snapshot: Snapshot): void;
  stageInstallStep?(maxBytes: number): boolean;
  /**
   * Optional: the node is done with these snapshot bytes (loaded at start, or a leader's snapshot
   * this store wrote and the state machine installed). A store that keeps no reference to them
   * (SqliteStorage: it hands out and writes copies) frees them now, so a large snapshot's memory
   * does not wait for the heap's next full collection; every view of them then reads as empty.
   * A store that holds them itself (MemoryStorage's load) leaves them be.
   */
  releaseSnapshotBytes?(snapshot: Snapshot): void;
  /**
   * The node's own snapshot at an index ≤ commit: store it and delete the entries it covers,
   * atomically; keep only the newest `retainSnapshots`.
   */
  saveSnapshot(snapshot: Snapshot): void;
  /**
   * The node's own snapshot written in pieces, each call its own short transaction, so a large
   * snapshot never holds the caller for long. beginSnapshot starts a pending snapshot (dropping an
   * earlier pending one); appendSnapshotChunk adds its next bytes; publishSnapshot then makes it the
   * latest snapshot exactly as saveSnapshot would (same checks, compacts the entries it covers,
   * keeps `retainSnapshots`). Until published it is invisible (listSnapshots, latestSnapshot, load),
   * and reopening the store — after a crash or not — discards it. The checks of saveSnapshot run at
   * begin and again at publish; a failed call writes nothing.
   */
  beginSnapshot(meta: SnapshotMeta): void;
  /** Copies `data` before it returns: the caller reuses that buffer for its next chunk. */
  appendSnapshotChunk(data: Uint8Array): void;
  /** Publishes the pending snapshot; throws StorageError "no_pending_snapshot" when there is none. */
  publishSnapshot(): SnapshotMeta;
  /** Drops the pending snapshot, if any. */
  abortSnapshot(): void;
  /**
   * Deletes, in one short transaction, up to `bound.entries` log entries a published snapshot
   * covers and up to `bound.chunks` chunks of dropped or pruned snapshots: publishing only marks
   * them (its transaction stays small), this frees them in bounded runs. Returns how many rows are
   * left to sweep. Nothing of it is visible: load() never returns entries a snapshot covers.
   */
  sweepSnapshots(bound: SweepBound): number;
  /**
   * Gauges and counters of the store itself for the node's /metrics (Prometheus names, `_total`
   * for counters), or nothing: SqliteStorage reports where its checkpoints run and how they went.
   */
  metrics?(): Record<string, number>;
  /** Newest first. */
  listSnapshots(): StoredSnapshotInfo[];
  /**
   * Bytes [offset, offset + length) of the published snapshot at `index` of `size` bytes, every
   * piece read checked against its checksum; null when no such snapshot is stored (pruned since).
   * A leader fills each InstallSnapshot chunk from here, so no node holds a snapshot's bytes in
   * memory to send it. Reads only the stored pieces the range touches. The bytes are a buffer of
   * their own that the caller owns (a copy, never a view of what the store keeps): the leader's
   * transport frees it once the chunk is encoded.
   */
  readSnapshotChunk(index: number, size: number, offset: number, length: number): Uint8Array | null;
  latestSnapshot(): Snapshot | null;
  close(): void;
}
