// PartitionTable against a plain Map: the same contents under any sequence of sets (ids near the
// end of the array, far past it, and repeated), walked in ascending id order; a copy is independent.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MetadataInvariantError } from "../../src/metadata/invariant.ts";
import { PartitionTable } from "../../src/metadata/partition-table.ts";
import type { PartitionRecord } from "../../src/metadata/records.ts";

const SEED = 0x7a;

function record(partitionId: number, partitionEpoch = 0): PartitionRecord {
  const fields = { partitionId, topicUUID: "t", replicas: [1], ISR: [1], removingReplicas: [], addingReplicas: [], leader: "1", partitionEpoch, leaderEpoch: 0 };
  return { type: "metadata", name: "PartitionRecord", offset: 1, timestamp: "2026-11-24T00:00:00.000Z", fields };
}

// Ids mostly small and dense, sometimes far (up to the largest partition id).
const id = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 40 }), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 2_147_483_647 }), weight: 1 });

describe("partition table", () => {
  test("holds what a Map holds and walks it in id order; a copy does not see later sets", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(id, fc.nat(5), fc.boolean()), { maxLength: 200 }), (ops) => {
        let table = new PartitionTable();
        const model = new Map<number, PartitionRecord>();
        let copy: { table: PartitionTable; expected: [number, PartitionRecord][] } | null = null;
        for (const [partitionId, epoch, takeCopy] of ops) {
          const r = record(partitionId, epoch);
          table.set(partitionId, r);
          model.set(partitionId, r);
          if (takeCopy) {
            copy = { table, expected: [...table.entries()] };
            table = new PartitionTable(table);
          }
        }
        const expected = [...model.entries()].sort((a, b) => a[0] - b[0]);
        expect(table.size).toBe(model.size);
        expect([...table.entries()]).toEqual(expected);
        expect([...table]).toEqual(expected);
        expect([...table.keys()]).toEqual(expected.map(([k]) => k));
        expect([...table.values()]).toEqual(expected.map(([, v]) => v));
        for (const [k, v] of model) {
          expect(table.get(k)).toBe(v);
          expect(table.has(k)).toBe(true);
        }
        const walked: number[] = [];
        table.forEach((v, k, m) => {
          expect(v.fields.partitionId).toBe(k);
          expect(m).toBe(table);
          walked.push(k);
        });
        expect(walked).toEqual(expected.map(([k]) => k));
        if (copy) expect([...copy.table.entries()]).toEqual(copy.expected);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test("an id never set, negative or fractional is absent", () => {
    const table = new PartitionTable().set(0, record(0)).set(3, record(3)).set(1_000_000, record(1_000_000));
    for (const missing of [1, 2, 4, 999_999, -1, 0.5, Number.NaN]) {
      expect(table.get(missing)).toBeUndefined();
      expect(table.has(missing)).toBe(false);
    }
    expect(table.size).toBe(3);
  });

  test("a far id stays where it was put when the array grows past it, and is replaced there", () => {
    const table = new PartitionTable().set(20, record(20));
    for (let i = 0; i < 30; i++) if (i !== 20) table.set(i, record(i));
    table.set(20, record(20, 7));
    expect(table.size).toBe(30);
    expect(table.get(20)?.fields.partitionEpoch).toBe(7);
    expect([...table.keys()]).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  test("refuses a record under another id, and an id that is not a non-negative integer", () => {
    expect(() => new PartitionTable().set(1, record(2))).toThrow(MetadataInvariantError);
    expect(() => new PartitionTable().set(-1, record(-1))).toThrow(MetadataInvariantError);
    expect(() => new PartitionTable().set(1.5, record(1.5))).toThrow(MetadataInvariantError);
  });
});
