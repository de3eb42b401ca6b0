import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { STORED_CHUNK_BYTES } from "../../src/storage/sqlite-snapshot-pieces.ts";
import type { LogStorage, StorageOptions } from "../../src/storage/log-storage.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { checksumConformance, type DamageTarget } from "./checksum-conformance.ts";
import { conformance, type StorageHarness } from "./conformance.ts";
import { run, snapshot, tempDir } from "./helpers.ts";
import { batch, hs } from "./violation-cases.ts";

let dirs: Array<{ dir: string; cleanup: () => void }> = [];
const opened = new Map<LogStorage, string>();

const harness: StorageHarness = {
  open: (opts) => {
    const d = tempDir();
    dirs.push(d);
    const path = join(d.dir, "yakt.db");
    const s = SqliteStorage.open(path, opts);
    opened.set(s, path);
    return s;
  },
  reopen: (store, opts) => {
    const path = opened.get(store);
    if (path === undefined) throw new Error("reopen of a store this harness did not open");
    store.close();
    opened.delete(store);
    const s = SqliteStorage.open(path, opts);
    opened.set(s, path);
    return s;
  },
  cleanup: () => {
    for (const s of opened.keys()) s.close();
    opened.clear();
    for (const d of dirs) d.cleanup();
    dirs = [];
  },
};

/** Flips one byte of a row in the closed file, as the disk would, then opens it again. */
function damage(store: LogStorage, target: DamageTarget, opts?: StorageOptions): LogStorage {
  const path = opened.get(store);
  if (path === undefined) throw new Error("damage of a store this harness did not open");
  store.close();
  opened.delete(store);
  const db = new Database(path);
  try {
    if (target.kind === "entry") flipLastByte(db, "entries", "idx = ?", target.index);
    else {
      const id = db.query<{ id: number }, []>("SELECT id FROM snapshots WHERE pending = 0 ORDER BY idx DESC, id DESC LIMIT 1").get()?.id;
      const lastSeq = db.query<{ seq: number | null }, [number]>("SELECT MAX(seq) AS seq FROM snapshot_chunks WHERE snapshot_id = ?").get(id ?? 0)?.seq;
      if (lastSeq === null || lastSeq === undefined) flipLastByte(db, "snapshots", "id = ?", id ?? 0);
      else flipLastByte(db, "snapshot_chunks", `snapshot_id = ${id} AND seq = ?`, lastSeq);
    }
  } finally {
    db.close();
  }
  const s = SqliteStorage.open(path, opts);
  opened.set(s, path);
  return s;
}

function flipLastByte(db: Database, table: string, where: string, key: number): void {
  const row = db.query<{ data: Uint8Array }, [number]>(`SELECT data FROM ${table} WHERE ${where}`).get(key);
  if (row === null || row.data.length === 0) throw new Error(`no bytes to damage in ${table} where ${where} (${key})`);
  const data = new Uint8Array(row.data);
  data[data.length - 1] ^= 0x01;
  db.query(`UPDATE ${table} SET data = ? WHERE ${where}`).run(data, key);
}

conformance("SqliteStorage", harness);
checksumConformance("SqliteStorage", { ...harness, damage });

afterEach(() => harness.cleanup());

test("an installed snapshot is stored in chunks of at most 256 KiB, its row without bytes (no statement binds it whole)", () => {
  const s = harness.open();
  const path = opened.get(s) as string;
  const data = Uint8Array.from({ length: 2 * STORED_CHUNK_BYTES + 10 }, (_, i) => i & 0xff);
  s.persist(batch({ snapshot: { meta: snapshot(5, 1).meta, data }, hardState: hs(1, 0, 5) }));
  s.close();
  opened.delete(s);
  const db = new Database(path, { readonly: true });
  try {
    expect(db.query<{ n: number; size: number }, []>("SELECT length(data) AS n, size FROM snapshots").all()).toEqual([{ n: 0, size: data.length }]);
    expect(db.query<{ n: number }, []>("SELECT length(data) AS n FROM snapshot_chunks ORDER BY seq").all().map((r) => r.n)).toEqual([STORED_CHUNK_BYTES, STORED_CHUNK_BYTES, 10]);
  } finally {
    db.close();
  }
  const again = SqliteStorage.open(path);
  try {
    expect(again.latestSnapshot()?.data).toEqual(data);
    expect(again.readSnapshotChunk(5, data.length, STORED_CHUNK_BYTES - 3, 6)).toEqual(data.slice(STORED_CHUNK_BYTES - 3, STORED_CHUNK_BYTES + 3));
  } finally {
    again.close();
  }
});

test("the sweep says how many covered entries are left after each bounded run, and stops at the snapshot", () => {
  const s = harness.open();
  s.persist(batch({ hardState: hs(1, 1, 20), entries: run(1, 20, 1) }));
  s.beginSnapshot(snapshot(13, 1).meta);
  s.appendSnapshotChunk(new TextEncoder().encode("state at 13"));
  s.publishSnapshot();
  // Entries 1..13 are covered (13 of them); 14..20 stay in the log whatever the sweep does.
  const left: number[] = [];
  for (let runs = 0; runs < 10; runs++) {
    left.push(s.sweepSnapshots({ entries: 5, chunks: 1 }));
    if (left.at(-1) === 0) break;
  }
  expect(left).toEqual([8, 3, 0]);
  expect(s.load().entries.map((e) => e.index)).toEqual([14, 15, 16, 17, 18, 19, 20]);
  expect(s.sweepSnapshots({ entries: 5, chunks: 1 })).toBe(0);
  // A snapshot at the log's end covers every entry: the count stops at the last one stored.
  s.beginSnapshot(snapshot(20, 1).meta);
  s.appendSnapshotChunk(new TextEncoder().encode("state at 20"));
  s.publishSnapshot();
  expect(s.sweepSnapshots({ entries: 4, chunks: 0 })).toBe(3);
  expect(s.sweepSnapshots({ entries: 4, chunks: 0 })).toBe(0);
  expect(s.load().entries).toEqual([]);
});
