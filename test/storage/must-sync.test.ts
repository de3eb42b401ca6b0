// mustSync: only a write that moves nothing but the commit index may skip the fsync; and a store
// that wrote one that way is back on synchronous=FULL for the next write.
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

  test("SqliteStorage writes a commit-only batch, keeps it across a reopen, and is back on FULL after it", () => {
    const d = tempDir();
    const path = join(d.dir, "yakt.db");
    try {
      let s = SqliteStorage.open(path);
      s.persist({ hardState: { term: 2, vote: 1, commit: 1 }, entries: run(1, 3, 2), snapshot: null });
      s.persist({ hardState: { term: 2, vote: 1, commit: 3 }, entries: [], snapshot: null });
      expect(() => s.checkDurability()).not.toThrow();
      s.close();
      s = SqliteStorage.open(path);
      expect(s.load().hardState).toEqual({ term: 2, vote: 1, commit: 3 });
      s.close();
    } finally {
      d.cleanup();
    }
  });
});
