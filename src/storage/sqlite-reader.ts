// A read-only look at a stopped node's database, for offline tools (`yakt dump-log`). It takes the
// same store lock a running node holds until it exits (store-lock.ts), without waiting, so a
// database a live node holds is refused (StorageError "locked") and a node cannot start while the
// tool reads. query_only makes any write an error; nothing is migrated or swept.
// Every entry, snapshot and chunk read is checked against its checksum, as a node's reads are.
import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import type { Entry, HardState, Snapshot } from "../raft/types.ts";
import { entryChecksum, verifyChecksum } from "./checksum.ts";
import type { NodeIdentity } from "./log-storage.ts";
import { checkIntegrity, openDatabase } from "./sqlite-open-checks.ts";
import type { StoreLock } from "./store-lock.ts";
import { SCHEMA_VERSION } from "./sqlite-schema.ts";
import { SnapshotPieces } from "./sqlite-snapshot-pieces.ts";
import { prepareStatements, type Statements } from "./sqlite-statements.ts";
import { StorageError } from "./storage-error.ts";

export interface StoredState {
  identity: NodeIdentity | null;
  hardState: HardState;
  /** The newest published snapshot, or null. */
  snapshot: Snapshot | null;
}

/** An offline tool always checks. */
const CHECK = { skipChecksums: false };

export class SqliteReader {
  /** The node's own statements (only reads of them run here) and its reader of snapshot pieces. */
  private readonly st: Statements;
  private readonly pieces: SnapshotPieces;

  private constructor(
    private readonly db: Database,
    private readonly path: string,
    private readonly lock: StoreLock,
  ) {
    this.st = prepareStatements(db);
    this.pieces = new SnapshotPieces(this.st, path, CHECK);
  }

  /** Refuses a missing file (never creates one), a locked, damaged or foreign database. */
  static open(path: string): SqliteReader {
    if (!existsSync(path)) throw new StorageError("open_failed", `no database at ${path}`);
    const { db, lock } = openDatabase(path, 0);
    try {
      db.exec("PRAGMA query_only = 1");
      checkIntegrity(db, path);
      const version = db.query<{ version: number }, []>("SELECT version FROM schema_version").all();
      if (version.length !== 1 || version[0].version !== SCHEMA_VERSION) {
        throw new StorageError("schema_version", `${path} has schema version ${version.map((r) => r.version).join(",") || "none"}; this build reads ${SCHEMA_VERSION}`);
      }
      return new SqliteReader(db, path, lock);
    } catch (err) {
      db.close();
      lock.release();
      if (err instanceof StorageError) throw err;
      throw new StorageError("corrupt", `${path} is not a readable YAKt database: ${(err as Error).message}`);
    }
  }

  state(): StoredState {
    const identity = this.db
      .query<{ cluster_id: string; node_id: number; directory_id: string }, []>("SELECT cluster_id, node_id, directory_id FROM identity WHERE id = 1")
      .get();
    const hs = this.db.query<{ term: number; vote: number; commit_index: number }, []>("SELECT term, vote, commit_index FROM hard_state WHERE id = 1").get();
    return {
      identity: identity === null ? null : { clusterId: identity.cluster_id, nodeId: identity.node_id, directoryId: identity.directory_id },
      hardState: { term: hs?.term ?? 0, vote: hs?.vote ?? 0, commit: hs?.commit_index ?? 0 },
      snapshot: this.latestSnapshot(),
    };
  }

  /** Stored entries with index > `after`, oldest first, one row at a time; a damaged one throws ChecksumError. */
  *entriesAfter(after: number): Generator<Entry> {
    const rows = this.db.query<{ idx: number; term: number; type: Entry["type"]; data: Uint8Array; checksum: number }, [number]>(
      "SELECT idx, term, type, data, checksum FROM entries WHERE idx > ? ORDER BY idx",
    );
    for (const r of rows.iterate(after)) {
      verifyChecksum(CHECK, this.path, { kind: "entry", index: r.idx }, r.checksum, () => entryChecksum(r.idx, r.term, r.type, r.data));
      yield { index: r.idx, term: r.term, type: r.type, data: new Uint8Array(r.data) };
    }
  }

  close(): void {
    // SQLite only really closes once no prepared statement is left (as SqliteStorage.close).
    for (const stmt of Object.values(this.st)) stmt.finalize();
    this.db.close();
    this.lock.release();
  }

  /** Read into one buffer of its size, every piece checked, as a node reads it (sqlite-snapshot-pieces.ts). */
  private latestSnapshot(): Snapshot | null {
    const row = this.st.listSnapshots.all()[0];
    if (row === undefined) return null;
    const data = this.pieces.readWhole(row);
    let membership: Snapshot["meta"]["membership"];
    try {
      membership = JSON.parse(row.membership);
    } catch {
      throw new StorageError("corrupt", `${this.path}: snapshot ${row.id} has an unreadable membership`);
    }
    return { meta: { index: row.idx, term: row.term, membership }, data };
  }
}
