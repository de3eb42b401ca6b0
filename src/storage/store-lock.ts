// The lock that keeps a database to one process: a tiny SQLite file beside it (`yakt.db-lock`),
// opened with locking_mode=EXCLUSIVE and held through an empty EXCLUSIVE transaction, so its file
// lock stays taken until release() (or the process's death: the OS drops POSIX locks of a process
// that dies, even by SIGKILL). A second node or offline tool pointed at the same data directory
// fails with StorageError "locked"; a second connection in the same process meets the same lock
// (SQLite shares lock state per file within a process). The database itself is opened with normal
// locking, so the store's own checkpoint worker can hold a second connection to it.
// Never open the lock file with a raw descriptor: closing any descriptor of a file drops every
// POSIX lock this process holds on it.
import { Database } from "bun:sqlite";
import { StorageError } from "./storage-error.ts";

export const LOCK_FILE_SUFFIX = "-lock";

/** SQLite's name for a database that lives in memory only: nothing to share, nothing to lock. */
const MEMORY_PATH = ":memory:";

export class StoreLock {
  private released = false;

  private constructor(
    private readonly db: Database | null,
    readonly path: string,
  ) {}

  /** Takes the lock of the database at `dbPath`, waiting up to `busyTimeoutMs` for a holder to let go. */
  static acquire(dbPath: string, busyTimeoutMs: number): StoreLock {
    if (dbPath === MEMORY_PATH || dbPath === "") return new StoreLock(null, dbPath);
    const path = `${dbPath}${LOCK_FILE_SUFFIX}`;
    let db: Database;
    try {
      db = new Database(path, { create: true, readwrite: true, strict: true });
    } catch (err) {
      throw new StorageError("open_failed", `cannot open lock file ${path}: ${(err as Error).message}`);
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      // An empty write transaction takes the exclusive lock; EXCLUSIVE locking mode keeps it after.
      db.exec("BEGIN EXCLUSIVE");
      db.exec("COMMIT");
      const mode = db.query<{ locking_mode: string }, []>("PRAGMA locking_mode").get()?.locking_mode;
      if (mode !== "exclusive") throw new StorageError("pragma_not_in_force", `lock file ${path}: locking_mode is ${String(mode)}, exclusive required`);
    } catch (err) {
      db.close();
      if (String((err as { code?: unknown }).code).startsWith("SQLITE_BUSY")) {
        throw new StorageError("locked", `database ${dbPath} is in use by another process (${path} is locked): ${(err as Error).message}`);
      }
      if (err instanceof StorageError) throw err;
      throw new StorageError("open_failed", `cannot lock ${path}: ${(err as Error).message}`);
    }
    return new StoreLock(db, path);
  }

  /** Lets the lock go; idempotent. Call only once nothing of this process uses the database any more. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.db?.close();
  }
}
