// The fsync that makes SqliteStorage's writes durable, done by us instead of by SQLite so it can
// run off the event loop. The connection commits under synchronous=NORMAL: in WAL mode a commit
// then only write()s its frames into the WAL file, and SQLite's recovery keeps the longest valid
// prefix of committed frames. An fsync of the WAL file (through our own descriptor: fsync flushes
// the file, whichever descriptor wrote it) therefore makes every commit before it durable, and a
// crash before it loses a suffix of the unflushed commits, never a piece in the middle. SQLite
// still syncs for itself where its own safety needs it (around checkpoints, and the WAL header
// when the file is reused). fdatasync, as SQLite itself uses: the WAL's data and its size, without
// the modification time, which would cost a journal commit per flush (3× slower on a busy disk).
import { closeSync, existsSync, fdatasync, fdatasyncSync, fstatSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { StorageError } from "./storage-error.ts";
import { syncPath } from "./sync-path.ts";

export class WalSync {
  private fd: number | null = null;

  constructor(private readonly walPath: string) {}

  /** Flushes the WAL now, holding the caller (start-up, one-off writes, close). */
  syncNow(): void {
    const fd = this.open();
    try {
      fdatasyncSync(fd);
    } catch (err) {
      throw new StorageError("io", `cannot fsync ${this.walPath}: ${(err as Error).message}`);
    }
  }

  /**
   * At open: what a crashed process left in the WAL may sit only in the page cache, and the new
   * process reads it as its state (a vote, entries it then acknowledges without writing them
   * again); a power loss after that would take it back. So it is made durable before anything is
   * read from it. No WAL file (a clean close removes it): nothing to do.
   */
  syncInherited(): void {
    if (existsSync(this.walPath)) this.syncNow();
  }

  /** Flushes the WAL on the runtime's I/O thread pool; `done` runs on the loop afterwards. */
  sync(done: (error: Error | null) => void): void {
    let fd: number;
    try {
      fd = this.open();
    } catch (err) {
      done(err as Error);
      return;
    }
    fdatasync(fd, (err) => done(err ? new StorageError("io", `cannot fsync ${this.walPath}: ${err.message}`) : null));
  }

  /** The WAL file's size in bytes now (one fstat). */
  size(): number {
    try {
      return fstatSync(this.open()).size;
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError("io", `cannot stat ${this.walPath}: ${(err as Error).message}`);
    }
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  /**
   * The WAL exists from the first commit in WAL mode on and stays (truncated, never deleted) until
   * the connection closes. Its directory entry is made durable once, when we first open it: a
   * file whose name is lost in a crash takes its synced bytes with it.
   */
  private open(): number {
    if (this.fd !== null) return this.fd;
    try {
      this.fd = openSync(this.walPath, "r");
    } catch (err) {
      throw new StorageError("io", `cannot open ${this.walPath} to fsync it: ${(err as Error).message}`);
    }
    syncPath(dirname(this.walPath));
    return this.fd;
  }
}

