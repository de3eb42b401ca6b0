// What must hold before a node trusts its database: the file is intact (quick_check) and its
// commits are made durable the way wal-sync.ts relies on (WAL + synchronous=NORMAL, read back,
// because a pragma that silently did not take would void the Raft persistence rule: under
// synchronous=OFF SQLite would not sync around checkpoints, and a journal that is not a WAL would
// not keep a crash to a suffix of the commits).
import { Database } from "bun:sqlite";
import { StorageError } from "./storage-error.ts";
import { DEFAULT_OPTIONS } from "./storage-options.ts";
import { StoreLock } from "./store-lock.ts";

/** SQLite reports synchronous as a number: 1 = NORMAL. */
const SYNCHRONOUS_NORMAL = 1;
/**
 * Pages in the WAL before SQLite folds it back into the database inside a commit (SQLite's
 * default): only while the checkpoint worker is down (wal-checkpointer.ts); 0 while it runs.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 1_000;

export interface OpenedDatabase {
  db: Database;
  /** Held until the database is closed (store-lock.ts): a second process is refused "locked". */
  lock: StoreLock;
}

/**
 * Opens the one writing connection, after taking the store's lock (store-lock.ts), so a second node
 * pointed at the same data directory fails instead of writing a second Raft history into it. The
 * connection itself uses normal locking: the checkpoint worker opens a second one to the file.
 */
export function openDatabase(path: string, busyTimeoutMs: number): OpenedDatabase {
  const lock = StoreLock.acquire(path, busyTimeoutMs);
  try {
    const db = new Database(path, { create: true, readwrite: true, strict: true });
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    return { db, lock };
  } catch (err) {
    lock.release();
    throw new StorageError("open_failed", `cannot open database ${path}: ${(err as Error).message}`);
  }
}

/** Runs `PRAGMA quick_check`; a file that is not a database at all is corruption too. */
export function checkIntegrity(db: Database, path: string): void {
  let results: string[];
  try {
    results = db
      .query<Record<string, string>, []>("PRAGMA quick_check")
      .all()
      .map((row) => String(Object.values(row)[0]));
  } catch (err) {
    if (String((err as { code?: unknown }).code).startsWith("SQLITE_BUSY")) {
      throw new StorageError("locked", `database ${path} is in use by another process: ${(err as Error).message}`);
    }
    throw new StorageError("corrupt", `database ${path} failed quick_check: ${(err as Error).message}`);
  }
  if (results.length !== 1 || results[0] !== "ok") {
    throw new StorageError("corrupt", `database ${path} failed quick_check: ${results.slice(0, 5).join("; ")}`);
  }
}

function pragmaValue(db: Database, name: string): unknown {
  const row = db.query<Record<string, unknown>, []>(`PRAGMA ${name}`).get();
  return row === null ? undefined : Object.values(row)[0];
}

/**
 * `walLimitBytes` is where SQLite cuts the WAL file back to when it starts the WAL over: the hard
 * bound, not less, because cutting a large file is slow (~100 ms for 192 MiB here, on the loop,
 * in the commit that starts the WAL over); a file at the bound is reused from its start.
 */
export function setDurabilityPragmas(db: Database, path: string, walLimitBytes = DEFAULT_OPTIONS.walHardLimitBytes): void {
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  // Checkpoints run on the worker thread (wal-checkpointer.ts), never inside a commit on the loop.
  db.exec("PRAGMA wal_autocheckpoint = 0");
  db.exec(`PRAGMA journal_size_limit = ${walLimitBytes}`);
  checkDurability(db, path);
}

/** WAL and synchronous=NORMAL, read back from the connection: throws pragma_not_in_force otherwise. */
export function checkDurability(db: Database, path: string): void {
  const journal = String(pragmaValue(db, "journal_mode")).toLowerCase();
  if (journal !== "wal") {
    throw new StorageError("pragma_not_in_force", `database ${path}: journal_mode is ${journal}, WAL required`);
  }
  const sync = Number(pragmaValue(db, "synchronous"));
  if (sync !== SYNCHRONOUS_NORMAL) {
    throw new StorageError("pragma_not_in_force", `database ${path}: synchronous is ${sync}, NORMAL (1) required (the WAL is fsynced by the storage itself)`);
  }
}
