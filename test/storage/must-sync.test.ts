// mustSync: only a write that moves nothing but the commit index may skip the fsync. SqliteStorage's
// write() says which batches need a flush, and flush() answers off the caller's stack.
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
