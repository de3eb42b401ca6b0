// The on-disk layout, versioned: a database written by another layout is refused rather than
// guessed at. Entries are one row each keyed by index, so truncation and compaction are range
// deletes inside the transaction that causes them.
import type { Database } from "bun:sqlite";
import { randomUUID } from "node:crypto";
import { chunkChecksum, entryChecksum, snapshotChecksum } from "./checksum.ts";
import { StorageError } from "./storage-error.ts";

export const SCHEMA_VERSION = 5;

const DDL = `
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  cluster_id TEXT NOT NULL,
  node_id INTEGER NOT NULL,
  directory_id TEXT NOT NULL,
  founding_voters TEXT NOT NULL DEFAULT ''
);
CREATE TABLE hard_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  term INTEGER NOT NULL,
  vote INTEGER NOT NULL,
  commit_index INTEGER NOT NULL
);
CREATE TABLE entries (
  idx INTEGER PRIMARY KEY,
  term INTEGER NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('normal', 'config')),
  data BLOB NOT NULL,
  checksum INTEGER NOT NULL
);
CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idx INTEGER NOT NULL,
  term INTEGER NOT NULL,
  membership TEXT NOT NULL,
  data BLOB NOT NULL,
  size INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  pending INTEGER NOT NULL DEFAULT 0,
  checksum INTEGER NOT NULL
);
CREATE TABLE snapshot_chunks (
  snapshot_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  checksum INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, seq)
);
`;

/**
 * Version 1 → 2: a snapshot written in pieces keeps its bytes in snapshot_chunks (its row's data is
 * empty) and is invisible while pending. Existing snapshots keep their bytes in their row.
 */
const MIGRATE_1_TO_2 = `
ALTER TABLE snapshots ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
CREATE TABLE snapshot_chunks (
  snapshot_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (snapshot_id, seq)
);
UPDATE schema_version SET version = 2;
`;

/**
 * Version 2 → 3: the identity gets a directory id (KIP-853). A store formatted before has one drawn
 * now: it still holds the node's vote and log, so it is that disk's first and only id.
 */
const MIGRATE_2_TO_3 = `
ALTER TABLE identity ADD COLUMN directory_id TEXT NOT NULL DEFAULT '';
UPDATE identity SET directory_id = ?;
UPDATE schema_version SET version = 3;
`;

/**
 * Version 3 → 4: every entry, snapshot and chunk row gets a checksum (checksum.ts), computed now
 * for the rows already there rather than marking them as unchecked legacy rows: they passed
 * quick_check at this very open, the log is bounded by compaction so one pass is short, and every
 * row then has one read path with no "unchecked" branch that a damaged row could hide behind.
 */
const MIGRATE_3_TO_4 = [
  "ALTER TABLE entries ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE snapshots ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE snapshot_chunks ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0",
];

/**
 * Version 4 → 5: the identity gets the voters the node was first started with ("1,2,3"; '' when
 * not known: a joiner, or a store whose first start came before this version). Peers compare them
 * in the handshake, so a node first started with other --peers cannot join the others' cluster.
 */
const MIGRATE_4_TO_5 = [
  "ALTER TABLE identity ADD COLUMN founding_voters TEXT NOT NULL DEFAULT ''",
  "UPDATE schema_version SET version = 5",
];

function tableNames(db: Database): string[] {
  return db
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all()
    .map((r) => r.name);
}

/** Creates the schema in an empty database, or checks the version of an existing one. */
export function ensureSchema(db: Database, path: string): void {
  const tables = tableNames(db);
  if (tables.length === 0) {
    db.transaction(() => {
      db.exec(DDL);
      db.query("INSERT INTO schema_version (version) VALUES (?)").run(SCHEMA_VERSION);
    }).immediate();
    return;
  }
  if (!tables.includes("schema_version")) {
    throw new StorageError("schema_version", `${path} is not a YAKt database (tables: ${tables.join(", ")})`);
  }
  let rows = db.query<{ version: number }, []>("SELECT version FROM schema_version").all();
  if (rows.length === 1 && rows[0].version === 1) {
    db.transaction(() => db.exec(MIGRATE_1_TO_2)).immediate();
    rows = db.query<{ version: number }, []>("SELECT version FROM schema_version").all();
  }
  if (rows.length === 1 && rows[0].version === 2) {
    db.transaction(() => migrate2to3(db)).immediate();
    rows = db.query<{ version: number }, []>("SELECT version FROM schema_version").all();
  }
  if (rows.length === 1 && rows[0].version === 3) {
    db.transaction(() => migrate3to4(db)).immediate();
    rows = db.query<{ version: number }, []>("SELECT version FROM schema_version").all();
  }
  if (rows.length === 1 && rows[0].version === 4) {
    db.transaction(() => {
      for (const sql of MIGRATE_4_TO_5) db.exec(sql);
    }).immediate();
    rows = db.query<{ version: number }, []>("SELECT version FROM schema_version").all();
  }
  if (rows.length !== 1 || rows[0].version !== SCHEMA_VERSION) {
    throw new StorageError(
      "schema_version",
      `${path} has schema version ${rows.map((r) => r.version).join(",") || "none"}; this build reads only ${SCHEMA_VERSION}`,
    );
  }
}

function migrate2to3(db: Database): void {
  const [addColumn, setId, setVersion] = MIGRATE_2_TO_3.trim().split("\n");
  db.exec(addColumn);
  db.query(setId).run(randomUUID());
  db.exec(setVersion);
}

function migrate3to4(db: Database): void {
  for (const sql of MIGRATE_3_TO_4) db.exec(sql);
  const setEntry = db.query("UPDATE entries SET checksum = ? WHERE idx = ?");
  // In pages, not one SELECT iterated while its table is updated (SQLite leaves that undefined).
  const page = db.query<{ idx: number; term: number; type: "normal" | "config"; data: Uint8Array }, [number]>(
    "SELECT idx, term, type, data FROM entries WHERE idx > ? ORDER BY idx LIMIT 1000",
  );
  for (let rows = page.all(0); rows.length > 0; rows = page.all(rows[rows.length - 1].idx)) {
    for (const e of rows) setEntry.run(entryChecksum(e.idx, e.term, e.type, e.data), e.idx);
  }
  const setSnapshot = db.query("UPDATE snapshots SET checksum = ? WHERE id = ?");
  const snapshots = db.query<{ id: number; idx: number; term: number; membership: string; data: Uint8Array }, []>(
    "SELECT id, idx, term, membership, data FROM snapshots",
  );
  for (const s of snapshots.all()) setSnapshot.run(snapshotChecksum({ index: s.idx, term: s.term }, s.membership, s.data), s.id);
  const setChunk = db.query("UPDATE snapshot_chunks SET checksum = ? WHERE snapshot_id = ? AND seq = ?");
  const chunks = db.query<{ snapshot_id: number; seq: number; idx: number | null; data: Uint8Array }, []>(
    "SELECT c.snapshot_id, c.seq, s.idx, c.data FROM snapshot_chunks c LEFT JOIN snapshots s ON s.id = c.snapshot_id",
  );
  // A chunk no snapshot owns is swept at this open (dropUnpublished); its checksum is never read.
  for (const c of chunks.all()) setChunk.run(chunkChecksum(c.idx ?? 0, c.seq, c.data), c.snapshot_id, c.seq);
  db.exec("UPDATE schema_version SET version = 4");
}
