// A follower's install staged ahead of its write (sqlite-staged-install.ts): the write that carries
// the very snapshot staged publishes it with the layout of an unstaged install; anything short of
// that leaves it invisible, and a restart drops it. Bytes the node is done with are freed only once
// nothing here reads them (releaseSnapshotBytes).
import { afterEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { Snapshot } from "../../src/raft/types.ts";
import { STORED_CHUNK_BYTES } from "../../src/storage/sqlite-snapshot-pieces.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { snapshot, tempDir } from "./helpers.ts";
import { batch, hs } from "./violation-cases.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function open(): { store: SqliteStorage; path: string } {
  const d = tempDir();
  const path = join(d.dir, "yakt.db");
  const store = SqliteStorage.open(path);
  cleanups.push(() => {
    store.close();
    d.cleanup();
  });
  return { store, path };
}

const big = (index: number, fill: number): Snapshot => ({
  meta: snapshot(index, 1).meta,
  data: Uint8Array.from({ length: 3 * STORED_CHUNK_BYTES + 17 }, (_, i) => (i * 7 + fill) & 0xff),
});

/** The stored layout: each row's pending flag and size, and its chunks' sizes. */
function layout(path: string): { rows: { pending: number; size: number; n: number }[]; chunks: number[] } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      rows: db.query<{ pending: number; size: number; n: number }, []>("SELECT pending, size, length(data) AS n FROM snapshots ORDER BY id").all(),
      chunks: db.query<{ n: number }, []>("SELECT length(data) AS n FROM snapshot_chunks ORDER BY snapshot_id, seq").all().map((r) => r.n),
    };
  } finally {
    db.close();
  }
}

function stageAll(store: SqliteStorage, snap: Snapshot, maxBytes: number): number {
  store.stageInstall(snap);
  let steps = 1;
  while (!store.stageInstallStep(maxBytes)) steps++;
  return steps;
}

test("a staged install is written a slice per step and published by the write that carries it, laid out as an unstaged one", () => {
  const { store, path } = open();
  const snap = big(9, 1);
  expect(stageAll(store, snap, STORED_CHUNK_BYTES)).toBe(4);
  // Staged but not written: invisible.
  expect(store.latestSnapshot()).toBeNull();
  expect(layout(path).rows).toEqual([{ pending: 2, size: snap.data.length, n: 0 }]);
  store.persist(batch({ snapshot: snap, hardState: hs(1, 0, 9) }));
  expect(store.latestSnapshot()?.data).toEqual(snap.data);
  expect(layout(path)).toEqual({ rows: [{ pending: 0, size: snap.data.length, n: 0 }], chunks: [STORED_CHUNK_BYTES, STORED_CHUNK_BYTES, STORED_CHUNK_BYTES, 17] });
  expect(store.readSnapshotChunk(9, snap.data.length, STORED_CHUNK_BYTES - 2, 5)).toEqual(snap.data.slice(STORED_CHUNK_BYTES - 2, STORED_CHUNK_BYTES + 3));
  store.close();
  const again = SqliteStorage.open(path);
  try {
    expect(again.load().snapshot?.data).toEqual(snap.data);
  } finally {
    again.close();
  }
});

test("a restart before the write drops the staged install: the store loads what it held before", () => {
  const { store, path } = open();
  const first = big(5, 2);
  store.persist(batch({ snapshot: first, hardState: hs(1, 0, 5) }));
  stageAll(store, big(9, 3), 2 * STORED_CHUNK_BYTES);
  store.close();
  const again = SqliteStorage.open(path);
  try {
    const restored = again.load();
    expect(restored.snapshot?.meta.index).toBe(5);
    expect(restored.snapshot?.data).toEqual(first.data);
    expect(layout(path).rows.map((r) => r.pending)).toEqual([0]);
    expect(layout(path).chunks.length).toBe(4); // the staged chunks were orphans, deleted at open
  } finally {
    again.close();
  }
});

test("a write of another snapshot, or of one not staged whole, stores its own bytes; the staged row stays invisible", () => {
  const { store, path } = open();
  stageAll(store, big(9, 4), STORED_CHUNK_BYTES);
  const other = big(9, 5); // same meta, other bytes: not the object staged
  store.persist(batch({ snapshot: other, hardState: hs(1, 0, 9) }));
  expect(store.latestSnapshot()?.data).toEqual(other.data);
  expect(layout(path).rows.map((r) => r.pending)).toEqual([2, 0]);

  const half = big(12, 6);
  store.stageInstall(half); // begins anew: the earlier staged row goes
  expect(store.stageInstallStep(STORED_CHUNK_BYTES)).toBe(false);
  store.persist(batch({ snapshot: half, hardState: hs(1, 0, 12) }));
  expect(store.latestSnapshot()?.data).toEqual(half.data);
  expect(layout(path).rows.map((r) => r.pending)).toEqual([0, 2, 0]);
  // Its bytes are stored: nothing is staged any more (the half-written row waits for the next begin or restart).
  expect(() => store.stageInstallStep(STORED_CHUNK_BYTES)).toThrow(/no install is being staged/);
});

test("a step with nothing staged, or a staged snapshot that breaks a rule, is refused and writes nothing", () => {
  const { store, path } = open();
  expect(() => store.stageInstallStep(STORED_CHUNK_BYTES)).toThrow(/no install is being staged/);
  const bad = { meta: { ...snapshot(0, 1).meta }, data: new Uint8Array(10) };
  expect(() => store.stageInstall(bad)).toThrow(/positive integers/);
  expect(layout(path)).toEqual({ rows: [], chunks: [] });
});

test("releaseSnapshotBytes frees the caller's bytes only once nothing here reads them: the store keeps its own copy", () => {
  const { store } = open();
  const snap = big(9, 4);
  const expected = snap.data.slice();
  store.stageInstall(snap);
  store.stageInstallStep(STORED_CHUNK_BYTES);
  // Still being staged: its bytes are still read from, so they stay.
  store.releaseSnapshotBytes(snap);
  expect(snap.data).toEqual(expected);
  while (!store.stageInstallStep(STORED_CHUNK_BYTES));
  store.persist(batch({ snapshot: snap, hardState: hs(1, 0, 9) }));
  // Published (an installed leader's snapshot): the caller's buffer goes, the stored snapshot stays whole.
  store.releaseSnapshotBytes(snap);
  expect((snap.data.buffer as ArrayBuffer).detached).toBe(true);
  expect(snap.data.byteLength).toBe(0);
  const loaded = store.load().snapshot;
  expect(loaded?.data).toEqual(expected);
  // What load handed out (a restart's snapshot) is a copy of its own: freeing it leaves the store as it was.
  store.releaseSnapshotBytes(loaded as Snapshot);
  expect(loaded?.data.byteLength).toBe(0);
  expect(store.latestSnapshot()?.data).toEqual(expected);
  // Twice is harmless.
  store.releaseSnapshotBytes(loaded as Snapshot);
});
