// Every statement SqliteStorage runs, prepared once per connection and reused: the hot path
// (persist) never parses SQL.
import type { Database, Statement } from "bun:sqlite";
import type { EntryType } from "../raft/types.ts";

export interface EntryRow {
  idx: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
  checksum: number;
}

export interface SnapshotRow {
  id: number;
  idx: number;
  term: number;
  membership: string;
  size: number;
  created_at_ms: number;
  checksum: number;
}

export interface HardStateRow {
  term: number;
  vote: number;
  commit_index: number;
}

export interface LogShape {
  lo: number | null;
  hi: number | null;
  n: number;
}

export function prepareStatements(db: Database) {
  return {
    identity: db.prepare<{ cluster_id: string; node_id: number; directory_id: string }, []>(
      "SELECT cluster_id, node_id, directory_id FROM identity WHERE id = 1",
    ),
    setIdentity: db.prepare<void, [string, number, string]>("INSERT INTO identity (id, cluster_id, node_id, directory_id) VALUES (1, ?, ?, ?)"),
    foundingVoters: db.prepare<{ founding_voters: string }, []>("SELECT founding_voters FROM identity WHERE id = 1"),
    setFoundingVoters: db.prepare<void, [string]>("UPDATE identity SET founding_voters = ? WHERE id = 1 AND founding_voters = ''"),
    pristine: db.prepare<{ n: number }, []>(
      "SELECT (SELECT COUNT(*) FROM hard_state WHERE term > 0 OR vote > 0 OR commit_index > 0) + (SELECT COUNT(*) FROM entries) + (SELECT COUNT(*) FROM snapshots) AS n",
    ),
    hardState: db.prepare<HardStateRow, []>("SELECT term, vote, commit_index FROM hard_state WHERE id = 1"),
    setHardState: db.prepare<void, [number, number, number]>(
      "INSERT OR REPLACE INTO hard_state (id, term, vote, commit_index) VALUES (1, ?, ?, ?)",
    ),
    // The whole row, so the term a write plan decides on is checked like any other read.
    entryAt: db.prepare<EntryRow, [number]>("SELECT idx, term, type, data, checksum FROM entries WHERE idx = ?"),
    lastEntry: db.prepare<{ idx: number; term: number }, []>("SELECT idx, term FROM entries ORDER BY idx DESC LIMIT 1"),
    entriesFrom: db.prepare<EntryRow, [number]>("SELECT idx, term, type, data, checksum FROM entries WHERE idx >= ? ORDER BY idx"),
    deleteThrough: db.prepare<void, [number]>("DELETE FROM entries WHERE idx <= ?"),
    deleteFrom: db.prepare<void, [number]>("DELETE FROM entries WHERE idx >= ?"),
    logShape: db.prepare<LogShape, []>("SELECT MIN(idx) AS lo, MAX(idx) AS hi, COUNT(*) AS n FROM entries"),
    firstTermDrop: db.prepare<{ idx: number }, []>(
      "SELECT b.idx AS idx FROM entries a JOIN entries b ON b.idx = a.idx + 1 WHERE b.term < a.term LIMIT 1",
    ),
    firstEntry: db.prepare<{ idx: number; term: number }, []>("SELECT idx, term FROM entries ORDER BY idx LIMIT 1"),
    insertSnapshot: db.prepare<void, [number, number, string, Uint8Array, number, number, number, number]>(
      "INSERT INTO snapshots (idx, term, membership, data, size, created_at_ms, pending, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    // Newest first: by index, then by when saved (saved indexes never decrease, see write-plan.ts).
    pruneSnapshots: db.prepare<void, [number]>(
      "DELETE FROM snapshots WHERE pending = 0 AND id NOT IN (SELECT id FROM snapshots WHERE pending = 0 ORDER BY idx DESC, id DESC LIMIT ?)",
    ),
    listSnapshots: db.prepare<SnapshotRow, []>(
      "SELECT id, idx, term, membership, size, created_at_ms, checksum FROM snapshots WHERE pending = 0 ORDER BY idx DESC, id DESC",
    ),
    latestSnapshotData: db.prepare<{ data: Uint8Array }, [number]>("SELECT data FROM snapshots WHERE id = ?"),
    // A published snapshot by what a leader's core names it: its index and size (newest such row).
    snapshotAt: db.prepare<SnapshotRow, [number, number]>(
      "SELECT id, idx, term, membership, size, created_at_ms, checksum FROM snapshots WHERE pending = 0 AND idx = ? AND size = ? ORDER BY id DESC LIMIT 1",
    ),
    // Sizes only: SQLite's length() of a blob reads no content (sqlite-snapshot-pieces.ts lays out the pieces).
    snapshotDataLength: db.prepare<{ n: number }, [number]>("SELECT length(data) AS n FROM snapshots WHERE id = ?"),
    chunkLengths: db.prepare<{ seq: number; n: number }, [number]>(
      "SELECT seq, length(data) AS n FROM snapshot_chunks WHERE snapshot_id = ? ORDER BY seq",
    ),
    chunkAt: db.prepare<{ data: Uint8Array; checksum: number }, [number, number]>(
      "SELECT data, checksum FROM snapshot_chunks WHERE snapshot_id = ? AND seq = ?",
    ),
    snapshotChunks: db.prepare<{ seq: number; data: Uint8Array; checksum: number }, [number]>(
      "SELECT seq, data, checksum FROM snapshot_chunks WHERE snapshot_id = ? ORDER BY seq",
    ),
    insertChunk: db.prepare<void, [number, number, Uint8Array, number]>(
      "INSERT INTO snapshot_chunks (snapshot_id, seq, data, checksum) VALUES (?, ?, ?, ?)",
    ),
    publishSnapshot: db.prepare<void, [number, number, number]>(
      "UPDATE snapshots SET pending = 0, size = ?, created_at_ms = ? WHERE id = ? AND pending = 1",
    ),
    dropPendingSnapshots: db.prepare<void, []>("DELETE FROM snapshots WHERE pending = 1"),
    // A follower's install staged ahead of its write (sqlite-staged-install.ts): pending = 2.
    dropStagedInstalls: db.prepare<void, []>("DELETE FROM snapshots WHERE pending = 2"),
    publishStagedInstall: db.prepare<void, [number, number]>("UPDATE snapshots SET pending = 0, created_at_ms = ? WHERE id = ? AND pending = 2"),
    // Chunks whose snapshot row is gone (dropped while pending, or pruned): deleted in bounded runs.
    sweepChunks: db.prepare<void, [number]>(
      "DELETE FROM snapshot_chunks WHERE rowid IN (SELECT c.rowid FROM snapshot_chunks c LEFT JOIN snapshots s ON s.id = c.snapshot_id WHERE s.id IS NULL LIMIT ?)",
    ),
    orphanChunks: db.prepare<{ n: number }, []>(
      "SELECT COUNT(*) AS n FROM snapshot_chunks c LEFT JOIN snapshots s ON s.id = c.snapshot_id WHERE s.id IS NULL",
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
