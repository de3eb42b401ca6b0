// The on-disk layout, versioned: a database written by another layout is refused rather than
// guessed at. Entries are one row each keyed by index, so truncation and compaction are range
// deletes inside the transaction that causes them.
import type { Database } from "bun:sqlite";
import { randomUUID } from "node:crypto";
import { StorageError } from "./storage-error.ts";

export const SCHEMA_VERSION = 3;

const DDL = `
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  cluster_id TEXT NOT NULL,
  node_id INTEGER NOT NULL,
  directory_id TEXT NOT NULL
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
  data BLOB NOT NULL
);
CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idx INTEGER NOT NULL,
  term INTEGER NOT NULL,
  membership TEXT NOT NULL,
  data BLOB NOT NULL,
  size INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  pending INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE snapshot_chunks (
  snapshot_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
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
