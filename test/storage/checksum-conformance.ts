// The checksum half of the storage contract, run against both storages like conformance.ts: a
// byte flipped in what a store holds is refused on read with a ChecksumError naming the place,
// a write that would lean on a damaged entry writes nothing, and the skipChecksums seam reads
// damaged bytes through (what the simulator's planted bug relies on).
import { afterEach, describe, expect, test } from "bun:test";
import { ChecksumError, type CorruptPlace } from "../../src/storage/checksum.ts";
import type { LogStorage, StorageOptions } from "../../src/storage/log-storage.ts";
import { MEMBERS, run, snapshot } from "./helpers.ts";
import type { StorageHarness } from "./conformance.ts";
import { batch, hs } from "./violation-cases.ts";

/** What to damage: one entry's data, or the latest snapshot's bytes (its last chunk where it has chunks). */
export type DamageTarget = { kind: "entry"; index: number } | { kind: "snapshot" };

export interface DamagingHarness extends StorageHarness {
  /** Flips one stored byte of `target` behind the store's back; returns the store as a restart finds it. */
  damage(store: LogStorage, target: DamageTarget, opts?: StorageOptions): LogStorage;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function expectCorrupt(fn: () => unknown, place: Partial<CorruptPlace>): ChecksumError {
  const err = caught(fn);
  expect(err).toBeInstanceOf(ChecksumError);
  expect((err as ChecksumError).code).toBe("corrupt");
  expect((err as ChecksumError).place).toMatchObject(place);
  return err as ChecksumError;
}

/** Entries 1..10 (term 1 to 5, term 2 after), commit 6. */
function tenEntries(s: LogStorage): void {
  s.persist(batch({ hardState: hs(2, 1, 6), entries: [...run(1, 5, 1), ...run(6, 10, 2)] }));
}

export function checksumConformance(name: string, h: DamagingHarness): void {
  describe(`${name} checksums`, () => {
    afterEach(() => h.cleanup());

    test("a damaged entry is refused on load with an error naming its index", () => {
      const s = h.open();
      tenEntries(s);
      const damaged = h.damage(s, { kind: "entry", index: 7 });
      const err = expectCorrupt(() => damaged.load(), { kind: "entry", index: 7 });
      expect(err.message).toContain("entry 7 fails its checksum");
    });

    test("a write that would lean on a damaged entry is refused and writes nothing", () => {
      const s = h.open();
      tenEntries(s);
      const damaged = h.damage(s, { kind: "entry", index: 7 });
      // Replacing 8.. checks entry 7's term first (Raft's log matching): that read is checked too.
      expectCorrupt(() => damaged.persist(batch({ entries: run(8, 8, 2) })), { kind: "entry", index: 7 });
      const reader = h.reopen(damaged, { skipChecksums: true });
      expect(reader.load().entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    test("a damaged snapshot is refused on load and on latestSnapshot, naming its index", () => {
      const s = h.open();
      tenEntries(s);
      s.saveSnapshot(snapshot(4, 1, "the state at four"));
      const damaged = h.damage(s, { kind: "snapshot" });
      // SQLite stores even a snapshot saved whole in chunks (sqlite-snapshot-pieces.ts): the place is one of them.
      expect(expectCorrupt(() => damaged.latestSnapshot(), { index: 4 }).message).toContain("the snapshot at index 4");
      expectCorrupt(() => damaged.load(), { index: 4 });
      expectCorrupt(() => damaged.readSnapshotChunk(4, 17, 0, 17), { index: 4 });
      expect(damaged.listSnapshots().map((x) => x.index)).toEqual([4]);
    });

    test("a damaged chunk of a snapshot written in pieces is refused, naming the snapshot's index", () => {
      const s = h.open();
      tenEntries(s);
      s.beginSnapshot({ index: 6, term: 2, membership: MEMBERS });
      for (const part of ["first part;", "second part;", "last part"]) s.appendSnapshotChunk(new TextEncoder().encode(part));
      s.publishSnapshot();
      const damaged = h.damage(s, { kind: "snapshot" });
      const err = expectCorrupt(() => damaged.latestSnapshot(), { index: 6 });
      expect(err.message).toContain("the snapshot at index 6");
    });

    test("with the skipChecksums seam a damaged entry reads through (the simulator's planted bug)", () => {
      const s = h.open();
      tenEntries(s);
      const intact = s.load().entries[6].data.slice();
      const damaged = h.damage(s, { kind: "entry", index: 7 }, { skipChecksums: true });
      const read = damaged.load().entries[6];
      expect(read.index).toBe(7);
      expect(Array.from(read.data)).not.toEqual(Array.from(intact));
    });

    test("an undamaged store reads back after a restart, checksums and all", () => {
      const s = h.open();
      tenEntries(s);
      s.saveSnapshot(snapshot(4, 1));
      const again = h.reopen(s);
      expect(again.load().entries.map((e) => e.index)).toEqual([5, 6, 7, 8, 9, 10]);
      expect(again.latestSnapshot()?.meta.index).toBe(4);
      expect(caught(() => again.load())).toBeUndefined();
      expect(caught(() => again.persist(batch({ entries: run(11, 11, 2) })))).toBeUndefined();
    });
  });
}

