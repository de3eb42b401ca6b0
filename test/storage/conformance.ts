// The one behavioural suite every LogStorage must pass; memory-storage.test.ts and
// sqlite-storage.test.ts run it against their implementation.
import { afterEach, describe, expect, test } from "bun:test";
import type { LogStorage, StorageOptions } from "../../src/storage/log-storage.ts";
import { StorageError, type StorageErrorCode } from "../../src/storage/storage-error.ts";
import { entry, manualClock, MEMBERS, plain, run, snapshot } from "./helpers.ts";
import { batch, hs, LIMITS, seed, VIOLATIONS } from "./violation-cases.ts";

export interface StorageHarness {
  /** A fresh, empty store. */
  open(opts?: StorageOptions): LogStorage;
  /** The store as a restarted node would find it: sqlite closes and reopens the file. */
  reopen(store: LogStorage, opts?: StorageOptions): LogStorage;
  /** Releases whatever open() created. */
  cleanup(): void;
}

/** Everything observable about a store, in plain values. */
export function dump(s: LogStorage) {
  const r = s.load();
  const snap = s.latestSnapshot();
  return {
    identity: s.identity(),
    hardState: r.hardState,
    applied: r.applied,
    entries: plain(r.entries),
    snapshot: snap === null ? null : { meta: snap.meta, data: Array.from(snap.data) },
    restoredSnapshot: r.snapshot === null ? null : { meta: r.snapshot.meta, data: Array.from(r.snapshot.data) },
    snapshots: s.listSnapshots(),
  };
}

function expectCode(fn: () => void, code: StorageErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StorageError);
  expect((caught as StorageError).code).toBe(code);
}

export function conformance(name: string, h: StorageHarness): void {
  describe(`${name} conformance`, () => {
    afterEach(() => h.cleanup());

    test("a fresh store is empty and unformatted", () => {
      const s = h.open();
      expect(dump(s)).toEqual({
        identity: null,
        hardState: hs(0, 0, 0),
        applied: 0,
        entries: [],
        snapshot: null,
        restoredSnapshot: null,
        snapshots: [],
      });
    });

    test("appends across batches and keeps the hard state", () => {
      const s = h.open();
      seed(s);
      const r = s.load();
      expect(plain(r.entries)).toEqual(plain([...run(1, 4, 1), ...run(5, 10, 2)]));
      expect(r.hardState).toEqual(hs(2, 1, 6));
      s.persist(batch({ entries: run(11, 11, 2) }));
      expect(s.load().hardState).toEqual(hs(2, 1, 6));
      s.persist(batch({ hardState: hs(3, 0, 8) }));
      expect(s.load().hardState).toEqual(hs(3, 0, 8));
      expect(s.load().entries.length).toBe(11);
    });

    test("an entry at or below the last index replaces it and everything after it", () => {
      const s = h.open();
      seed(s);
      s.persist(batch({ hardState: hs(3, 2, 6), entries: run(8, 9, 3) }));
      expect(plain(s.load().entries)).toEqual(plain([...run(1, 4, 1), ...run(5, 7, 2), ...run(8, 9, 3)]));
      s.persist(batch({ hardState: hs(4, 0, 6), entries: run(7, 7, 4) }));
      expect(plain(s.load().entries)).toEqual(plain([...run(1, 4, 1), ...run(5, 6, 2), entry(7, 4)]));
    });

    test("re-sending committed entries unchanged is allowed", () => {
      const s = h.open();
      seed(s);
      s.persist(batch({ entries: run(5, 10, 2) }));
      expect(plain(s.load().entries)).toEqual(plain([...run(1, 4, 1), ...run(5, 10, 2)]));
    });

    test("a follower's snapshot that matches the log keeps the entries after it", () => {
      const s = h.open();
      seed(s);
      s.persist(batch({ snapshot: snapshot(8, 2), hardState: hs(2, 1, 8) }));
      const r = s.load();
      expect(r.snapshot?.meta).toEqual({ index: 8, term: 2, membership: MEMBERS });
      expect(r.applied).toBe(8);
      expect(plain(r.entries)).toEqual(plain(run(9, 10, 2)));
    });

    test("a follower's snapshot that conflicts with the log drops every entry", () => {
      const s = h.open();
      seed(s);
      s.persist(batch({ snapshot: snapshot(9, 3), hardState: hs(3, 0, 9) }));
      const r = s.load();
      expect(r.entries).toEqual([]);
      expect(r.applied).toBe(9);
      s.persist(batch({ entries: run(10, 11, 3) }));
      expect(plain(s.load().entries)).toEqual(plain(run(10, 11, 3)));
    });

    test("a snapshot beyond the log, with entries after it, in one batch", () => {
      const s = h.open();
      seed(s);
      s.persist(batch({ snapshot: snapshot(20, 3), entries: run(21, 22, 3), hardState: hs(3, 0, 21) }));
      const r = s.load();
      expect(r.snapshot?.meta.index).toBe(20);
      expect(plain(r.entries)).toEqual(plain(run(21, 22, 3)));
      expect(r.hardState).toEqual(hs(3, 0, 21));
    });

    test("saveSnapshot compacts the entries it covers and records size and time", () => {
      const clock = manualClock();
      const s = h.open({ now: clock.now });
      seed(s);
      s.saveSnapshot(snapshot(6, 2, "abc"));
      const r = s.load();
      expect(plain(r.entries)).toEqual(plain(run(7, 10, 2)));
      expect(r.applied).toBe(6);
      expect(Array.from(r.snapshot?.data ?? [])).toEqual(Array.from(new TextEncoder().encode("abc")));
      expect(s.listSnapshots()).toEqual([{ index: 6, term: 2, membership: MEMBERS, size: 3, createdAtMs: clock.now() }]);
      s.saveSnapshot(snapshot(6, 2, "again"));
      expect(s.listSnapshots().map((x) => x.size)).toEqual([5, 3]);
    });

    test("keeps only the newest retainSnapshots, newest first", () => {
      const clock = manualClock();
      const s = h.open({ now: clock.now, retainSnapshots: 2 });
      s.persist(batch({ hardState: hs(1, 1, 10), entries: run(1, 10, 1) }));
      for (const i of [2, 4, 6, 8]) {
        clock.advance(1000);
        s.saveSnapshot(snapshot(i, 1));
      }
      const list = s.listSnapshots();
      expect(list.map((x) => x.index)).toEqual([8, 6]);
      expect(list[0].createdAtMs - list[1].createdAtMs).toBe(1000);
      expect(s.latestSnapshot()?.meta.index).toBe(8);
      s.persist(batch({ snapshot: snapshot(12, 2), hardState: hs(2, 0, 12) }));
      expect(s.listSnapshots().map((x) => x.index)).toEqual([12, 8]);
    });

    test("the default keeps three snapshots", () => {
      const s = h.open();
      s.persist(batch({ hardState: hs(1, 1, 10), entries: run(1, 10, 1) }));
      for (const i of [1, 2, 3, 4, 5]) s.saveSnapshot(snapshot(i, 1));
      expect(s.listSnapshots().map((x) => x.index)).toEqual([5, 4, 3]);
    });

    test("a snapshot written in pieces is invisible until published, then is what saveSnapshot stores", () => {
      const clock = manualClock();
      let s = h.open({ now: clock.now });
      s.persist(batch({ hardState: hs(2, 1, 8), entries: [...run(1, 3, 1), ...run(4, 10, 2)] }));
      const before = dump(s);
      s.beginSnapshot(snapshot(6, 2).meta);
      s.appendSnapshotChunk(new TextEncoder().encode("ab"));
      s.appendSnapshotChunk(new Uint8Array(0));
      s.appendSnapshotChunk(new TextEncoder().encode("c"));
      expect(s.listSnapshots()).toEqual([]);
      expect(s.latestSnapshot()).toBeNull();
      expect(s.publishSnapshot()).toEqual(snapshot(6, 2).meta);
      expect(s.listSnapshots()).toEqual([{ index: 6, term: 2, membership: MEMBERS, size: 3, createdAtMs: clock.now() }]);
      expect(new TextDecoder().decode(s.latestSnapshot()?.data)).toBe("abc");
      expect(s.load().entries.map((e) => e.index)).toEqual([7, 8, 9, 10]);
      const published = dump(s);
      expect(published.entries).not.toEqual(before.entries);
      // Sweeping what the publish only marked (covered entries, dropped chunks) changes nothing visible.
      let left = s.sweepSnapshots({ entries: 1, chunks: 1 });
      for (let runs = 0; left > 0 && runs < 20; runs++) left = s.sweepSnapshots({ entries: 1, chunks: 1 });
      expect(left).toBe(0);
      expect(dump(s)).toEqual(published);
      s = h.reopen(s, { now: clock.now });
      expect(dump(s)).toEqual(published);
      expectCode(() => s.publishSnapshot(), "no_pending_snapshot");
    });

    test("a restart (load) before publishing discards the pending snapshot", () => {
      let s = h.open();
      s.persist(batch({ hardState: hs(1, 1, 5), entries: run(1, 5, 1) }));
      const before = dump(s);
      s.beginSnapshot(snapshot(4, 1).meta);
      s.appendSnapshotChunk(new TextEncoder().encode("half"));
      s = h.reopen(s);
      expect(dump(s)).toEqual(before);
      expectCode(() => s.appendSnapshotChunk(new Uint8Array(1)), "no_pending_snapshot");
      expectCode(() => s.publishSnapshot(), "no_pending_snapshot");
      expect(s.sweepSnapshots({ entries: 100, chunks: 100 })).toBe(0);
    });

    test("begin refuses what saveSnapshot refuses, publish checks again; both write nothing", () => {
      const s = h.open(LIMITS);
      s.persist(batch({ hardState: hs(2, 1, 6), entries: [...run(1, 3, 1), ...run(4, 8, 2)] }));
      const before = dump(s);
      expectCode(() => s.beginSnapshot(snapshot(7, 2).meta), "snapshot_beyond_commit");
      expectCode(() => s.beginSnapshot(snapshot(5, 1).meta), "snapshot_term_mismatch");
      expectCode(() => s.beginSnapshot({ ...snapshot(5, 2).meta, index: 0 }), "invalid_snapshot");
      expect(dump(s)).toEqual(before);
      s.beginSnapshot(snapshot(4, 2).meta);
      expectCode(() => s.appendSnapshotChunk(new Uint8Array(129)), "too_large");
      s.appendSnapshotChunk(new Uint8Array(100));
      expectCode(() => s.appendSnapshotChunk(new Uint8Array(29)), "too_large");
      // A leader's snapshot stored meanwhile makes the pending one stale.
      s.persist(batch({ snapshot: snapshot(6, 2), hardState: hs(2, 1, 6) }));
      const installed = { snapshots: s.listSnapshots(), latest: s.latestSnapshot() };
      expectCode(() => s.publishSnapshot(), "stale_snapshot");
      expect({ snapshots: s.listSnapshots(), latest: s.latestSnapshot() }).toEqual(installed);
      expect(s.load().entries.map((e) => e.index)).toEqual([7, 8]);
    });

    test("a second begin replaces the pending snapshot; abort drops it", () => {
      const s = h.open();
      s.persist(batch({ hardState: hs(1, 1, 8), entries: run(1, 8, 1) }));
      s.beginSnapshot(snapshot(4, 1).meta);
      s.appendSnapshotChunk(new TextEncoder().encode("old"));
      s.beginSnapshot(snapshot(6, 1).meta);
      s.appendSnapshotChunk(new TextEncoder().encode("new"));
      s.publishSnapshot();
      expect(s.listSnapshots().map((x) => [x.index, x.size])).toEqual([[6, 3]]);
      expect(new TextDecoder().decode(s.latestSnapshot()?.data)).toBe("new");
      s.beginSnapshot(snapshot(8, 1).meta);
      s.abortSnapshot();
      expectCode(() => s.publishSnapshot(), "no_pending_snapshot");
      expect(s.listSnapshots().map((x) => x.index)).toEqual([6]);
    });

    test("retention drops old snapshots written in pieces; their bytes are swept in bounded runs", () => {
      const s = h.open({ retainSnapshots: 2 });
      s.persist(batch({ hardState: hs(1, 1, 10), entries: run(1, 10, 1) }));
      for (const i of [2, 4, 6, 8]) {
        s.beginSnapshot(snapshot(i, 1).meta);
        for (let c = 0; c < 3; c++) s.appendSnapshotChunk(new TextEncoder().encode(`${i}.${c};`));
        s.publishSnapshot();
      }
      s.saveSnapshot(snapshot(9, 1));
      expect(s.listSnapshots().map((x) => x.index)).toEqual([9, 8]);
      let left = s.sweepSnapshots({ entries: 2, chunks: 2 });
      for (let runs = 0; left > 0 && runs < 20; runs++) left = s.sweepSnapshots({ entries: 2, chunks: 2 });
      expect(left).toBe(0);
      expect(new TextDecoder().decode(s.latestSnapshot()?.data)).toBe("state at 9");
      s.persist(batch({ snapshot: snapshot(10, 1), hardState: hs(1, 1, 10) }));
      expect(s.listSnapshots().map((x) => x.index)).toEqual([10, 9]);
    });

    test("readSnapshotChunk reads any range of a stored snapshot, however it was written; null once pruned", () => {
      const s = h.open({ retainSnapshots: 2 });
      s.persist(batch({ hardState: hs(1, 1, 10), entries: run(1, 10, 1) }));
      // Bigger than SQLite's stored chunk (256 KiB), so a range spans pieces; every byte tells its place.
      const big = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
      s.persist(batch({ snapshot: { meta: snapshot(4, 1).meta, data: big }, hardState: hs(1, 1, 10) }));
      s.beginSnapshot(snapshot(6, 1).meta);
      for (const part of ["ab", "cde", "", "fghij"]) s.appendSnapshotChunk(new TextEncoder().encode(part));
      s.publishSnapshot();
      for (const [offset, length] of [[0, 600_000], [262_000, 1_000], [524_287, 2], [599_999, 1], [10, 0]]) {
        expect(s.readSnapshotChunk(4, big.length, offset, length)).toEqual(big.slice(offset, offset + length));
      }
      expect(new TextDecoder().decode(s.readSnapshotChunk(6, 10, 1, 8) ?? undefined)).toBe("bcdefghi");
      expect(s.latestSnapshot()?.meta.index).toBe(6);
      expect(s.readSnapshotChunk(5, 10, 0, 1)).toBeNull(); // no snapshot at 5
      expect(s.readSnapshotChunk(6, 11, 0, 1)).toBeNull(); // not of that size
      expectCode(() => s.readSnapshotChunk(6, 10, 5, 6), "internal"); // past its end
      const reopened = h.reopen(s, { retainSnapshots: 2 });
      expect(reopened.readSnapshotChunk(4, big.length, 300_000, 5)).toEqual(big.slice(300_000, 300_005));
      reopened.saveSnapshot(snapshot(8, 1));
      expect(reopened.readSnapshotChunk(4, big.length, 0, 1)).toBeNull(); // pruned: 8 and 6 are kept
    });

    test("readSnapshotChunk gives the caller bytes of its own: freeing them (as a leader's transport does once sent) leaves the store whole", () => {
      const s = h.open();
      s.persist(batch({ hardState: hs(1, 1, 10), entries: run(1, 10, 1) }));
      const big = Uint8Array.from({ length: 700_000 }, (_, i) => (i * 13 + (i >> 9)) & 0xff);
      s.persist(batch({ snapshot: { meta: snapshot(4, 1).meta, data: big }, hardState: hs(1, 1, 10) }));
      for (const [offset, length] of [[0, 1 << 19], [1 << 19, 700_000 - (1 << 19)], [0, 700_000]]) {
        const chunk = s.readSnapshotChunk(4, big.length, offset, length)!;
        expect(chunk.byteOffset).toBe(0);
        expect(chunk.buffer.byteLength).toBe(length);
        (chunk.buffer as ArrayBuffer).transfer(0);
      }
      // Every piece each read copied out of the store was freed, none of the store's own: read again.
      expect(s.readSnapshotChunk(4, big.length, 0, big.length)).toEqual(big);
      expect(s.latestSnapshot()?.data).toEqual(big);
    });

    test("a restarted store loads exactly what was persisted", () => {
      const clock = manualClock();
      let s = h.open({ now: clock.now });
      s.format({ clusterId: "c-1", nodeId: 2 });
      seed(s);
      s.saveSnapshot(snapshot(4, 1));
      s.persist(batch({ hardState: hs(3, 3, 6), entries: run(9, 12, 3) }));
      const before = dump(s);
      s = h.reopen(s, { now: clock.now });
      expect(dump(s)).toEqual(before);
      // and it goes on from there
      s.persist(batch({ entries: run(13, 13, 3) }));
      expect(s.load().entries.at(-1)?.index).toBe(13);
    });

    test("format stamps the identity once, with a random directory id written once", () => {
      let s = h.open();
      s.format({ clusterId: "c-1", nodeId: 2 });
      const first = s.identity()!.directoryId;
      expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      s.format({ clusterId: "c-1", nodeId: 2 }); // a second format keeps the first directory id
      s.format({ clusterId: "c-1", nodeId: 2, directoryId: "another" });
      expectCode(() => s.format({ clusterId: "c-2", nodeId: 2 }), "identity_mismatch");
      expectCode(() => s.format({ clusterId: "c-1", nodeId: 3 }), "identity_mismatch");
      s = h.reopen(s);
      expect(s.identity()).toEqual({ clusterId: "c-1", nodeId: 2, directoryId: first });
      expectCode(() => s.format({ clusterId: "c-1", nodeId: 3 }), "identity_mismatch");
      const other = h.open();
      other.format({ clusterId: "c-1", nodeId: 2 });
      expect(other.identity()!.directoryId).not.toBe(first); // each format draws its own
      other.close();
    });

    test("a given directory id is stamped as given", () => {
      const s = h.open();
      s.format({ clusterId: "c-1", nodeId: 2, directoryId: "dir-a" });
      expect(s.identity()).toEqual({ clusterId: "c-1", nodeId: 2, directoryId: "dir-a" });
    });

    test("a malformed identity is refused and nothing is stamped", () => {
      const s = h.open();
      expectCode(() => s.format({ clusterId: "", nodeId: 1 }), "invalid_identity");
      expectCode(() => s.format({ clusterId: "c", nodeId: 0 }), "invalid_identity");
      expectCode(() => s.format({ clusterId: "c", nodeId: 1.5 }), "invalid_identity");
      expectCode(() => s.format({ clusterId: "x".repeat(257), nodeId: 1 }), "invalid_identity");
      expectCode(() => s.format({ clusterId: "c", nodeId: 1, directoryId: "" }), "invalid_identity");
      expectCode(() => s.format({ clusterId: "c", nodeId: 1, directoryId: "x".repeat(65) }), "invalid_identity");
      expect(s.identity()).toBeNull();
    });

    for (const v of VIOLATIONS) {
      test(`refuses ${v.name} (${v.code}) and writes nothing`, () => {
        let s = h.open(LIMITS);
        seed(s);
        v.setup?.(s);
        const before = dump(s);
        expectCode(() => v.act(s), v.code);
        expect(dump(s)).toEqual(before);
        s = h.reopen(s, LIMITS);
        expect(dump(s)).toEqual(before);
      });
    }

    test("a closed store refuses every call", () => {
      const s = h.open();
      s.close();
      expectCode(() => s.load(), "closed");
      expectCode(() => s.persist(batch({ entries: run(1, 1, 1) })), "closed");
      expectCode(() => s.saveSnapshot(snapshot(1, 1)), "closed");
      expectCode(() => s.identity(), "closed");
      expectCode(() => s.listSnapshots(), "closed");
      expectCode(() => s.beginSnapshot(snapshot(1, 1).meta), "closed");
      expectCode(() => s.appendSnapshotChunk(new Uint8Array(1)), "closed");
      expectCode(() => s.publishSnapshot(), "closed");
      expectCode(() => s.sweepSnapshots({ entries: 1, chunks: 1 }), "closed");
    });
  });
}
