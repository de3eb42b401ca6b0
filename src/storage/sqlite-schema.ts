// The on-disk layout, versioned: a database written by another layout is refused rather than
// guessed at. Entries are one row each keyed by index, so truncation and compaction are range
// deletes inside the transaction that causes them.
import type { Database } from "bun:sqlite";
import { StorageError } from "./storage-error.ts";

export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  cluster_id TEXT NOT NULL,
  node_id INTEGER NOT NULL
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
  created_at_ms INTEGER NOT NULL
);
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
  const rows = db.query<{ version: number }, []>("SELECT version FROM schema_version").all();
  if (rows.length !== 1 || rows[0].version !== SCHEMA_VERSION) {
    throw new StorageError(
      "schema_version",
      `${path} has schema version ${rows.map((r) => r.version).join(",") || "none"}; this build reads only ${SCHEMA_VERSION}`,
    );
  }
}
