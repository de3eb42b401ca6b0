import { join } from "node:path";
import { Database } from "bun:sqlite";
import type { LogStorage, StorageOptions } from "../../src/storage/log-storage.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { checksumConformance, type DamageTarget } from "./checksum-conformance.ts";
import { conformance, type StorageHarness } from "./conformance.ts";
import { tempDir } from "./helpers.ts";

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
