// Runs of entries appended through the multi-row INSERTs (sqlite-entry-inserts.ts): every length
// around the run sizes lands whole and in order, with checksums a reopened store accepts, and a run
// that breaks on one row leaves nothing of itself behind.
import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { EntryInserts, INSERT_RUN_SIZES } from "../../src/storage/sqlite-entry-inserts.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { run, tempDir } from "./helpers.ts";

const dirs: Array<{ cleanup: () => void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function openStore(): { store: SqliteStorage; path: string } {
  const d = tempDir();
  dirs.push(d);
  const path = join(d.dir, "yakt.db");
  return { store: SqliteStorage.open(path), path };
}

/** Lengths just below, at and above every run size, and ones that take several of the largest. */
const LENGTHS = [...new Set([0, ...INSERT_RUN_SIZES.flatMap((n) => [n - 1, n, n + 1]), 63, 64, 65, 97, 200])].filter((n) => n >= 0).sort((a, b) => a - b);

test("runs of every length around the run sizes are stored whole, in order, and read back after a reopen", () => {
  const { store, path } = openStore();
  let next = 1;
  for (const length of LENGTHS) {
    const entries = run(next, next + length - 1, 1);
    store.persist({ hardState: { term: 1, vote: 1, commit: 0 }, entries, snapshot: null });
    next += length;
  }
  store.close();
  const reopened = SqliteStorage.open(path);
  try {
    const loaded = reopened.load().entries;
    expect(loaded.length).toBe(next - 1);
    expect(loaded).toEqual(run(1, next - 1, 1));
  } finally {
    reopened.close();
  }
});

test("a run whose row breaks the table's key leaves none of its rows in the transaction's place", () => {
  const d = tempDir();
  dirs.push(d);
  const db = new Database(join(d.dir, "raw.db"));
  db.exec("CREATE TABLE entries (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL, checksum INTEGER NOT NULL)");
  const inserts = new EntryInserts(db);
  try {
    inserts.insert(run(1, 3, 1));
    // 40 entries (a 32-row, then an 8-row statement): the 35th repeats the stored index 3, so the
    // second statement fails after the first one's 32 rows went in; the transaction drops those too.
    const clash = [...run(4, 37, 1), ...run(3, 3, 1), ...run(39, 43, 1)];
    expect(() => db.transaction(() => inserts.insert(clash)).immediate()).toThrow(/UNIQUE|constraint/i);
    const rows = db.query<{ idx: number }, []>("SELECT idx FROM entries ORDER BY idx").all();
    expect(rows.map((r) => r.idx)).toEqual([1, 2, 3]);
  } finally {
    inserts.finalize();
    db.close();
  }
});
