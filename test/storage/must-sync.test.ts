// mustSync: only a write that moves nothing but the commit index may skip the fsync. SqliteStorage's
// write() says which batches need a flush, keeps a commit-only batch in memory until its next
// transaction, and flush() answers off the caller's stack.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { mustSync, planPersist, type LogView } from "../../src/storage/write-plan.ts";
import { resolveOptions } from "../../src/storage/storage-options.ts";
import type { PersistBatch } from "../../src/storage/log-storage.ts";
import { run, snapshot, tempDir } from "./helpers.ts";

const view: LogView = {
  snapshotIndex: 0,
  snapshotTerm: 0,
  lastIndex: 3,
  lastTerm: 2,
  hardState: { term: 2, vote: 1, commit: 1 },
  termAt: (i) => (i >= 1 && i <= 3 ? 2 : undefined),
};
const sync = (batch: PersistBatch) => mustSync(view.hardState, planPersist(view, batch, resolveOptions()));

describe("mustSync", () => {
  test("a batch that only raises the commit index need not be synced", () => {
    expect(sync({ hardState: { term: 2, vote: 1, commit: 3 }, entries: [], snapshot: null })).toBe(false);
  });

  test("entries, a snapshot, a new term or a vote must be", () => {
    expect(sync({ hardState: { term: 2, vote: 1, commit: 3 }, entries: run(4, 4, 2), snapshot: null })).toBe(true);
    expect(sync({ hardState: null, entries: run(4, 4, 2), snapshot: null })).toBe(true);
    expect(sync({ hardState: { term: 3, vote: 0, commit: 1 }, entries: [], snapshot: null })).toBe(true);
    expect(sync({ hardState: { term: 2, vote: 1, commit: 3 }, entries: [], snapshot: snapshot(3, 2) })).toBe(true);
    const noVote = { ...view, hardState: { term: 2, vote: 0, commit: 1 } };
    expect(mustSync(noVote.hardState, planPersist(noVote, { hardState: { term: 2, vote: 3, commit: 1 }, entries: [], snapshot: null }, resolveOptions()))).toBe(true);
  });

  test("SqliteStorage.write says which batches need a flush; a commit-only batch is kept across a reopen", () => {
    const d = tempDir();
    const path = join(d.dir, "yakt.db");
    try {
      let s = SqliteStorage.open(path);
      expect(s.write({ hardState: { term: 2, vote: 1, commit: 1 }, entries: run(1, 3, 2), snapshot: null })).toBe(true);
      expect(s.write({ hardState: { term: 2, vote: 1, commit: 3 }, entries: [], snapshot: null })).toBe(false);
      expect(s.write({ hardState: { term: 2, vote: 1, commit: 3 }, entries: [], snapshot: null })).toBe(false); // nothing to write
      expect(() => s.checkDurability()).not.toThrow();
      s.close();
      s = SqliteStorage.open(path);
      expect(s.load().hardState).toEqual({ term: 2, vote: 1, commit: 3 });
      s.close();
    } finally {
      d.cleanup();
    }
  });

  test("SqliteStorage runs no transaction for a commit-only batch made during a flush; the next transaction, a snapshot's publish or the flush's end writes it", async () => {
    const d = tempDir();
    const path = join(d.dir, "yakt.db");
    // What another connection reads from the file: the hard state as committed to it.
    const onDisk = () => {
      const db = new Database(path, { readonly: true });
      try {
        return db.query<{ commit_index: number }, []>("SELECT commit_index FROM hard_state WHERE id = 1").get()?.commit_index;
      } finally {
        db.close();
      }
    };
    const flushing = (s: SqliteStorage) => new Promise<Error | null>((resolve) => s.flush(resolve));
    try {
      const s = SqliteStorage.open(path);
      s.write({ hardState: { term: 2, vote: 1, commit: 1 }, entries: run(1, 3, 2), snapshot: null });
      // No flush in flight: a commit-only batch is written at once, as any other.
      expect(s.write({ hardState: { term: 2, vote: 1, commit: 2 }, entries: [], snapshot: null })).toBe(false);
      expect(onDisk()).toBe(2);
      // During a flush it is kept; a batch of entries alone (no hard state of its own) takes it along.
      let flush = flushing(s);
      expect(s.write({ hardState: { term: 2, vote: 1, commit: 3 }, entries: [], snapshot: null })).toBe(false);
      expect(onDisk()).toBe(2);
      expect(s.write({ hardState: null, entries: run(4, 4, 2), snapshot: null })).toBe(true);
      expect(onDisk()).toBe(3);
      expect(await flush).toBeNull();
      // Kept until the flush's end when nothing else is written: there, before the flush answers.
      flush = flushing(s);
      expect(s.write({ hardState: { term: 2, vote: 1, commit: 4 }, entries: [], snapshot: null })).toBe(false);
      expect(onDisk()).toBe(3);
      expect(await flush).toBeNull();
      expect(onDisk()).toBe(4);
      // The store's own checks see a kept commit, and a snapshot's publish writes it too, so the
      // file never holds a snapshot past its commit.
      s.write({ hardState: null, entries: run(5, 6, 2), snapshot: null });
      flush = flushing(s);
      s.write({ hardState: { term: 2, vote: 1, commit: 6 }, entries: [], snapshot: null });
      s.beginSnapshot({ index: 6, term: 2, membership: snapshot(6, 2).meta.membership });
      s.appendSnapshotChunk(new TextEncoder().encode("state at 6"));
      s.publishSnapshot();
      expect(onDisk()).toBe(6);
      await flush;
      // And close writes one a flush still in flight has not.
      s.write({ hardState: null, entries: run(7, 8, 2), snapshot: null });
      flush = flushing(s);
      s.write({ hardState: { term: 2, vote: 1, commit: 8 }, entries: [], snapshot: null });
      expect(s.metrics()).toMatchObject({ yakt_storage_commits_kept_total: 4, yakt_storage_commits_written_at_flush_total: 1 });
      s.close();
      expect(onDisk()).toBe(8);
      await flush;
    } finally {
      d.cleanup();
    }
  });

  test("SqliteStorage.flush calls back later, off the caller's stack, once the writes before it are synced", async () => {
    const d = tempDir();
    try {
      const s = SqliteStorage.open(join(d.dir, "yakt.db"));
      s.write({ hardState: { term: 1, vote: 1, commit: 0 }, entries: run(1, 2, 1), snapshot: null });
      let answered: Error | null | "not yet" = "not yet";
      const flushed = new Promise<void>((resolve) =>
        s.flush((error) => {
          answered = error;
          resolve();
        }),
      );
      expect(answered).toBe("not yet");
      await flushed;
      expect(answered).toBeNull();
      s.close();
    } finally {
      d.cleanup();
    }
  });
});
