// The store's lock and its WAL checkpoints (store-lock.ts, wal-checkpointer.ts): the lock refuses a
// second opener and dies with its holder; the worker folds the WAL in while writes go on; a WAL
// past the hard bound is checkpointed by the writer; a failed worker hands checkpoints back to the
// writer; close() stops the worker and leaves one self-contained file; the data survives reopen.
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Entry } from "../../src/raft/types.ts";
import type { StorageOptions } from "../../src/storage/log-storage.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { WalCheckpointer } from "../../src/storage/wal-checkpointer.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { openFails, tempDir } from "./helpers.ts";

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

interface Logged {
  level: string;
  event: string;
  fields: Record<string, unknown>;
}

function fresh(opts: StorageOptions = {}): { path: string; store: SqliteStorage; logged: Logged[] } {
  const d = tempDir();
  const path = join(d.dir, "yakt.db");
  const logged: Logged[] = [];
  const store = SqliteStorage.open(path, { log: (level, event, fields) => logged.push({ level, event, fields }), ...opts });
  cleanups.push(d.cleanup);
  cleanups.unshift(() => store.close());
  return { path, store, logged };
}

/** Entries from..to of term 1 with `bytes` of data each (the data says its index). */
function bulky(from: number, to: number, bytes: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term: 1, type: "normal", data: new Uint8Array(bytes).fill(i & 0xff) });
  return out;
}

/** Appends `batches` batches of `per` entries after `last`; returns the new last index. */
function append(store: SqliteStorage, last: number, batches: number, per: number, bytes: number): number {
  for (let b = 0; b < batches; b++) {
    store.write({ hardState: { term: 1, vote: 1, commit: last }, entries: bulky(last + 1, last + per, bytes), snapshot: null });
    last += per;
  }
  return last;
}

const HOLD_STORE = join(import.meta.dir, "fixtures/hold-store.ts");
const FAILING_WORKER = new URL("./fixtures/failing-checkpoint-worker.ts", import.meta.url).href;

describe("the store lock", () => {
  test("refuses a second opener while held and is released when the holder is killed by SIGKILL", async () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    const path = join(d.dir, "yakt.db");
    const child = Bun.spawn([process.execPath, HOLD_STORE, path], { stdout: "pipe", stderr: "pipe", timeout: 30_000, killSignal: "SIGKILL" });
    try {
      const reader = child.stdout.getReader();
      const first = await Promise.race([reader.read(), Bun.sleep(20_000).then(() => null)]);
      expect(new TextDecoder().decode(first?.value)).toContain("ready");
      expect(openFails(path, "locked").message).toContain("in use by another process");
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
    expect(child.signalCode).toBe("SIGKILL");
    // The OS dropped the dead holder's lock; what it wrote and synced is there.
    const s = SqliteStorage.open(path, { busyTimeoutMs: 20 });
    try {
      expect(s.load().entries.map((e) => e.index)).toEqual([1]);
    } finally {
      s.close();
    }
  });

  test("the lock is released by close(): the same process opens the store again", () => {
    const { path, store } = fresh();
    store.persist({ hardState: { term: 1, vote: 1, commit: 0 }, entries: bulky(1, 3, 10), snapshot: null });
    expect(() => SqliteStorage.open(path, { busyTimeoutMs: 20 })).toThrow("in use by another process");
    store.close();
    const again = SqliteStorage.open(path, { busyTimeoutMs: 20 });
    cleanups.unshift(() => again.close());
    expect(again.load().entries.map((e) => e.index)).toEqual([1, 2, 3]);
  });
});

describe("WAL checkpoints", () => {
  test("the worker folds the WAL into the database while writes go on; the data survives reopen", async () => {
    const { path, store } = fresh({ checkpointIntervalMs: 10 });
    const dbBytesBefore = statSync(path).size;
    let last = 0;
    // Writes keep coming between the worker's rounds (the loop yields so the test can watch).
    const stats = await waitUntil(
      "a worker round that copied frames into the database",
      async () => {
        last = append(store, last, 20, 8, 500);
        const s = store.checkpointStats();
        return s.rounds >= 2 && s.checkpointedFrames > 0 ? s : null;
      },
      30_000,
    );
    expect(stats.mode).toBe("worker");
    expect(stats.forced).toBe(0);
    expect(statSync(path).size).toBeGreaterThan(dbBytesBefore); // pages went into the main file
    store.close();
    expect(readdirSync(join(path, "..")).sort()).toEqual(["yakt.db", "yakt.db-lock"]); // no WAL, no shm: both connections closed
    const again = SqliteStorage.open(path);
    cleanups.unshift(() => again.close());
    const entries = again.load().entries;
    expect(entries.length).toBe(last);
    expect(entries[last - 1]).toMatchObject({ index: last, term: 1 });
    expect(entries[last - 1]!.data[0]).toBe(last & 0xff);
  });

  test("a WAL past the hard bound is checkpointed by the writer at once, and logged", () => {
    // The worker waits a day between rounds here: only the hard bound can fold the WAL in.
    const { path, store, logged } = fresh({ checkpointIntervalMs: 86_400_000, walHardLimitBytes: 512 * 1024 });
    append(store, 0, 200, 4, 1_000);
    const forced = logged.filter((l) => l.event === "wal_checkpoint_forced");
    expect(forced.length).toBeGreaterThan(0);
    expect(forced[0]!.fields).toMatchObject({ complete: true, limitBytes: 512 * 1024 });
    expect(store.checkpointStats()).toMatchObject({ mode: "worker", rounds: 0, forced: forced.length });
    expect(store.metrics()).toMatchObject({ yakt_storage_checkpoint_worker: 1, yakt_storage_checkpoints_forced_total: forced.length });
    // After every forced checkpoint the WAL started over from the start of the file: it never grew much past the bound.
    expect(statSync(`${path}-wal`).size).toBeLessThan(512 * 1024 + 64 * 1024);
    expect(store.load().entries.length).toBe(800);
  });

  test("a worker that dies hands checkpoints back to the writer (logged) and the WAL stays bounded", async () => {
    const { path, store, logged } = fresh({ checkpointWorkerUrl: FAILING_WORKER });
    await waitUntil("the store to notice its worker died", () => store.checkpointStats().mode === "writer", 20_000);
    expect(logged.find((l) => l.event === "checkpoint_worker_failed")?.fields.reason).toContain("failing on purpose");
    expect(store.metrics().yakt_storage_checkpoint_worker).toBe(0); // what an operator's alert watches
    // ~24 MiB of entries: SQLite's automatic checkpoint on the writer keeps restarting the WAL.
    append(store, 0, 600, 10, 4_000);
    expect(statSync(`${path}-wal`).size).toBeLessThan(16 * 1024 * 1024);
    expect(store.load().entries.length).toBe(6_000);
  });

  test("close() stops the worker and truncates the WAL into one file; closing twice is fine", async () => {
    const { path, store } = fresh({ checkpointIntervalMs: 5 });
    append(store, 0, 50, 4, 200);
    await waitUntil("a worker round", () => store.checkpointStats().rounds > 0, 20_000);
    store.close();
    store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(existsSync(`${path}-shm`)).toBe(false);
    expect(() => store.load()).toThrow("is closed");
  });

  test("a store opened and closed at once (its worker may not have begun) closes cleanly, nothing logged", () => {
    for (let i = 0; i < 5; i++) {
      const { path, store, logged } = fresh({ busyTimeoutMs: 20 });
      store.persist({ hardState: { term: 1, vote: 1, commit: 0 }, entries: bulky(1, 2, 10), snapshot: null });
      store.close();
      expect(logged).toEqual([]);
      expect(existsSync(`${path}-wal`)).toBe(false);
    }
  });

  test("the real worker reports a connection it cannot open; the checkpointer hands over to the writer", async () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    const writer = new Database(":memory:");
    cleanups.unshift(() => writer.close());
    const logged: Logged[] = [];
    const missing = join(d.dir, "no-such.db");
    const checkpointer = new WalCheckpointer(writer, missing, {
      intervalMs: 10,
      walHardLimitBytes: 1024 * 1024,
      stopTimeoutMs: 1_000,
      workerUrl: null,
      log: (level, event, fields) => logged.push({ level, event, fields }),
    });
    cleanups.unshift(() => checkpointer.stop());
    checkpointer.start();
    await waitUntil("the checkpointer to fall back to the writer", () => checkpointer.stats().mode === "writer", 20_000);
    expect(logged.map((l) => [l.level, l.event])).toEqual([["error", "checkpoint_worker_failed"]]);
    expect(String(logged[0]!.fields.reason)).toContain("unable to open");
    expect(existsSync(missing)).toBe(false); // the worker never creates the database
    expect(writer.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()?.wal_autocheckpoint).toBe(1_000);
  });
});
