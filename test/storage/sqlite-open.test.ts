// What only the SQLite store can get wrong: the durability pragmas, the schema version, a damaged
// file, a log on disk that breaks its invariants, and a transaction that fails half-way.
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, copyFileSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { snapshotChecksum } from "../../src/storage/checksum.ts";
import { setDurabilityPragmas } from "../../src/storage/sqlite-open-checks.ts";
import { SCHEMA_VERSION } from "../../src/storage/sqlite-schema.ts";
import { DB_FILE_NAME, SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { StorageError } from "../../src/storage/storage-error.ts";
import { openFails, raw, run, tempDir } from "./helpers.ts";

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function dbPath(): string {
  const d = tempDir();
  cleanups.push(d.cleanup);
  return join(d.dir, "yakt.db");
}

/** A closed store at a fresh path holding entries 1..n of term 1, commit n. */
function storeWith(n: number): string {
  const path = dbPath();
  const s = SqliteStorage.open(path);
  s.persist({ hardState: { term: 1, vote: 1, commit: n }, entries: run(1, n, 1), snapshot: null });
  s.close();
  return path;
}

/** Schema versions before 5 kept no founding voters. */
const DROP_FOUNDERS = "ALTER TABLE identity DROP COLUMN founding_voters";
/** Schema versions before 4 had no checksum columns either (the chunk table's is dropped with the table or on its own). */
const DROP_CHECKSUMS = `${DROP_FOUNDERS}; ALTER TABLE entries DROP COLUMN checksum; ALTER TABLE snapshots DROP COLUMN checksum`;

const SQLITE_STORAGE = join(import.meta.dir, "../../src/storage/sqlite-storage.ts");

describe("SqliteStorage open checks", () => {
  test("WAL and synchronous=NORMAL are in force after open (the storage fsyncs the WAL itself)", () => {
    const path = dbPath();
    SqliteStorage.open(path).close();
    const db = new Database(path);
    // journal_mode=WAL is stored in the file; synchronous is per connection, so check the setter.
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    setDurabilityPragmas(db, path);
    expect(db.query<{ synchronous: number }, []>("PRAGMA synchronous").get()?.synchronous).toBe(1);
    db.close();
  });

  test("openDataDir creates the directory and keeps yakt.db in it", () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    const dataDir = join(d.dir, "node-1", "data");
    const s = SqliteStorage.openDataDir(dataDir);
    s.format({ clusterId: "c", nodeId: 1 });
    s.close();
    expect(statSync(join(dataDir, DB_FILE_NAME)).isFile()).toBe(true);
    const again = SqliteStorage.openDataDir(dataDir);
    expect(again.identity()).toMatchObject({ clusterId: "c", nodeId: 1 });
    again.close();
  });

  test("refuses a data directory that cannot be created", () => {
    const path = storeWith(1);
    expect(() => SqliteStorage.openDataDir(join(path, "sub"))).toThrow(StorageError);
  });

  test("refuses a database another process holds open", async () => {
    const path = storeWith(1);
    const holder = SqliteStorage.open(path);
    cleanups.unshift(() => holder.close());
    // A second connection from this process meets the same file lock another process would.
    openFails(path, "locked");
    const script = `require(${JSON.stringify(SQLITE_STORAGE)}).SqliteStorage.open(process.argv[1], { busyTimeoutMs: 20 })`;
    const child = Bun.spawn([process.execPath, "-e", script, path], {
      stdout: "pipe",
      stderr: "pipe",
      timeout: 15_000,
      killSignal: "SIGKILL",
    });
    const exited = await child.exited;
    expect(child.signalCode).toBeNull();
    expect(exited).not.toBe(0);
    expect(await new Response(child.stderr).text()).toContain("in use by another process");
  });

  test("refuses a database where WAL cannot be in force", () => {
    const err = openFails(":memory:", "pragma_not_in_force");
    expect(err.message).toContain("journal_mode is memory");
  });

  test("refuses an unknown schema version", () => {
    const path = storeWith(2);
    raw(path, `UPDATE schema_version SET version = ${SCHEMA_VERSION + 1}`);
    expect(openFails(path, "schema_version").message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
  });

  test("upgrades a version 1 database in place: its snapshot and log stay, pieces work after", () => {
    const path = storeWith(6);
    const s1 = SqliteStorage.open(path);
    s1.saveSnapshot({ meta: { index: 3, term: 1, membership: { voters: [1], learners: [], addresses: {} } }, data: new Uint8Array([7, 8]) });
    s1.close();
    // What version 1 looked like: no pending column, no chunk table.
    raw(
      path,
      // Version 1 kept a snapshot's bytes in its row.
      "UPDATE snapshots SET data = X'0708'; DROP TABLE snapshot_chunks; ALTER TABLE snapshots DROP COLUMN pending; ALTER TABLE identity DROP COLUMN directory_id; " +
        `${DROP_CHECKSUMS}; UPDATE schema_version SET version = 1`,
    );
    const s = SqliteStorage.open(path);
    cleanups.push(() => s.close());
    expect(Array.from(s.latestSnapshot()?.data ?? [])).toEqual([7, 8]);
    expect(s.load().entries.map((e) => e.index)).toEqual([4, 5, 6]);
    s.beginSnapshot({ index: 5, term: 1, membership: { voters: [1], learners: [], addresses: {} } });
    s.appendSnapshotChunk(new Uint8Array([9]));
    s.publishSnapshot();
    expect(s.listSnapshots().map((x) => x.index)).toEqual([5, 3]);
    s.close(); // the store holds an exclusive lock
    const db = new Database(path, { readonly: true });
    try {
      expect(db.query("SELECT version FROM schema_version").all()).toEqual([{ version: SCHEMA_VERSION }]);
    } finally {
      db.close();
    }
  });

  test("upgrades a formatted version 2 database: it gets a random directory id once, kept from then on", () => {
    const path = storeWith(3);
    const s2 = SqliteStorage.open(path);
    s2.format({ clusterId: "c", nodeId: 4 });
    s2.close();
    // What version 2 looked like: an identity without a directory id.
    raw(path, `ALTER TABLE identity DROP COLUMN directory_id; ${DROP_CHECKSUMS}; ALTER TABLE snapshot_chunks DROP COLUMN checksum; UPDATE schema_version SET version = 2`);
    const s = SqliteStorage.open(path);
    const id = s.identity();
    expect(id).toMatchObject({ clusterId: "c", nodeId: 4 });
    expect(id?.directoryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.load().entries.map((e) => e.index)).toEqual([1, 2, 3]);
    s.close();
    const again = SqliteStorage.open(path);
    cleanups.push(() => again.close());
    expect(again.identity()).toEqual(id);
  });

  test("upgrades a version 3 database made by the code before checksums: every row gets its checksum, damage after is caught", () => {
    const path = dbPath();
    copyFileSync(join(import.meta.dir, "fixtures/schema-v3.db"), path); // see fixtures/make-schema-v3.ts
    const s = SqliteStorage.open(path);
    expect(s.identity()).toEqual({ clusterId: "fixture", nodeId: 2, directoryId: "0f0e0d0c-0b0a-4908-8706-050403020100" });
    const r = s.load();
    expect(r.hardState).toEqual({ term: 2, vote: 1, commit: 10 });
    expect(r.entries.map((e) => [e.index, e.term, new TextDecoder().decode(e.data)])).toEqual(
      [6, 7, 8, 9, 10, 11, 12].map((i) => [i, i <= 6 ? 1 : 2, `record-${i}`]),
    );
    expect(new TextDecoder().decode(s.latestSnapshot()?.data)).toBe("snapshot-part-0;snapshot-part-1");
    s.close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.query("SELECT version FROM schema_version").all()).toEqual([{ version: SCHEMA_VERSION }]);
      expect(db.query("SELECT COUNT(*) AS n FROM entries WHERE checksum = 0").get()).toEqual({ n: 0 });
      expect(db.query("SELECT COUNT(*) AS n FROM snapshot_chunks WHERE checksum = 0").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    raw(path, "UPDATE entries SET data = CAST('record-X' AS BLOB) WHERE idx = 9");
    const damaged = SqliteStorage.open(path);
    cleanups.unshift(() => damaged.close());
    expect(() => damaged.load()).toThrow("entry 9 fails its checksum");
  });

  test("upgrades a version 4 database: its founding voters are not known, and are kept once given", () => {
    const path = storeWith(3);
    const s4 = SqliteStorage.open(path);
    s4.format({ clusterId: "c", nodeId: 2 });
    const id = s4.identity();
    s4.close();
    raw(path, `${DROP_FOUNDERS}; UPDATE schema_version SET version = 4`);
    const s = SqliteStorage.open(path);
    expect(s.identity()).toEqual(id);
    expect(s.foundingVoters()).toBeNull();
    expect(s.pristine()).toBe(false); // it holds a log: not a first start
    s.recordFoundingVoters([3, 1, 2, 2]);
    s.recordFoundingVoters([9]); // once kept, never replaced
    expect(s.foundingVoters()).toEqual([1, 2, 3]);
    s.close();
    const again = SqliteStorage.open(path);
    cleanups.push(() => again.close());
    expect(again.foundingVoters()).toEqual([1, 2, 3]);
    const db = new Database(path, { readonly: true });
    cleanups.unshift(() => db.close());
    expect(db.query("SELECT version FROM schema_version").all()).toEqual([{ version: SCHEMA_VERSION }]);
  });

  test("founding voters: only on a formatted store, only positive ids; pristine until anything is written", () => {
    const s = SqliteStorage.open(dbPath());
    cleanups.push(() => s.close());
    expect(() => s.recordFoundingVoters([1])).toThrow("not formatted");
    s.format({ clusterId: "c", nodeId: 1 });
    expect(s.pristine()).toBe(true);
    for (const bad of [[], [0], [-1], [1.5]]) expect(() => s.recordFoundingVoters(bad)).toThrow("founding voters must be positive integers");
    s.persist({ hardState: { term: 1, vote: 1, commit: 0 }, entries: [], snapshot: null });
    expect(s.pristine()).toBe(false);
  });

  test("unreadable founding voters refuse the store by name", () => {
    const path = dbPath();
    const s = SqliteStorage.open(path);
    s.format({ clusterId: "c", nodeId: 1 });
    s.close();
    raw(path, "UPDATE identity SET founding_voters = '1,x'");
    const bad = SqliteStorage.open(path);
    cleanups.push(() => bad.close());
    expect(() => bad.foundingVoters()).toThrow('unreadable founding voters "1,x"');
  });

  test("refuses a database that is not YAKt's", () => {
    const path = dbPath();
    raw(path, "CREATE TABLE other (x INTEGER)");
    expect(openFails(path, "schema_version").message).toContain("not a YAKt database");
  });

  test("refuses a file that is not a database", () => {
    const path = dbPath();
    writeFileSync(path, "this is not sqlite ".repeat(400));
    openFails(path, "corrupt");
  });

  test("refuses a database with a damaged page", () => {
    const path = storeWith(400);
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(8 * 4096);
    const fd = openSync(path, "r+");
    // Overwrite pages in the middle (not the header): b-tree pages become garbage.
    writeSync(fd, new Uint8Array(3 * 4096).fill(0xa5), 0, 3 * 4096, 4 * 4096);
    closeSync(fd);
    openFails(path, "corrupt");
  });

  const logDamage: Array<[string, string, string]> = [
    ["a gap in the log", "DELETE FROM entries WHERE idx = 3", "has gaps"],
    ["terms going down", "UPDATE entries SET term = 0 WHERE idx = 4", "lower term"],
    ["a commit past the log", "UPDATE hard_state SET commit_index = 99", "past the last index"],
    ["a log term ahead of the hard state", "UPDATE hard_state SET term = 0", "ahead of the hard state"],
    [
      "entries missing after the snapshot",
      "INSERT INTO snapshots (idx, term, membership, data, size, created_at_ms, checksum) VALUES (2, 1, '{}', x'00', 1, 0, 0); DELETE FROM entries WHERE idx <= 3",
      "expected 3",
    ],
  ];

  test("entries a published snapshot covers that the sweep had not deleted yet go at open", () => {
    const path = storeWith(6);
    const membership = '{"voters":[1],"learners":[],"addresses":{}}';
    const checksum = snapshotChecksum({ index: 2, term: 1 }, membership, new Uint8Array([0]));
    raw(path, `INSERT INTO snapshots (idx, term, membership, data, size, created_at_ms, checksum) VALUES (2, 1, '${membership}', x'00', 1, 0, ${checksum})`);
    const s = SqliteStorage.open(path);
    cleanups.unshift(() => s.close());
    expect(s.load().entries.map((e) => e.index)).toEqual([3, 4, 5, 6]);
    expect(s.sweepSnapshots({ entries: 0, chunks: 0 })).toBe(0);
  });
  for (const [name, sql, message] of logDamage) {
    test(`refuses a stored log with ${name}`, () => {
      const path = storeWith(6);
      raw(path, sql);
      expect(openFails(path, "corrupt").message).toContain(message);
    });
  }

  test("a transaction failing half-way writes nothing and the store goes on", () => {
    const path = storeWith(2);
    // Stands in for a disk error on the fourth row of the batch.
    raw(
      path,
      "CREATE TRIGGER fail_at_5 BEFORE INSERT ON entries WHEN NEW.idx = 5 BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
    );
    const s = SqliteStorage.open(path);
    cleanups.unshift(() => s.close());
    const failing = { hardState: { term: 1, vote: 1, commit: 4 }, entries: run(3, 6, 1), snapshot: null };
    expect(() => s.persist(failing)).toThrow("disk says no");
    expect(s.load().entries.map((e) => e.index)).toEqual([1, 2]);
    expect(s.load().hardState.commit).toBe(2);
    s.persist({ hardState: null, entries: run(3, 4, 1), snapshot: null });
    expect(s.load().entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
  });
});
