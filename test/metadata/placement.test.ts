import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { PlacementError, placePartitions, rackAlternatedList, seedOf } from "../../src/metadata/placement.ts";

const brokers = (spec: Record<string, number[]>) =>
  Object.entries(spec).flatMap(([rackId, ids]) => ids.map((brokerId) => ({ brokerId, rackId })));

describe("placement", () => {
  test("the broker list alternates racks", () => {
    const list = rackAlternatedList(brokers({ b: [3, 4], a: [2, 1], c: [5] }));
    expect(list.map((b) => b.brokerId)).toEqual([1, 3, 5, 2, 4]);
  });

  test("every partition's replicas span distinct racks while racks remain", () => {
    const placed = placePartitions(brokers({ a: [1, 2, 3], b: [4, 5, 6], c: [7, 8, 9] }), 30, 3, "topic-uuid-1");
    for (const p of placed) {
      const racks = p.replicas.map((id) => (id <= 3 ? "a" : id <= 6 ? "b" : "c"));
      expect(new Set(racks).size).toBe(3);
    }
  });

  test("leaders are striped evenly across brokers", () => {
    const placed = placePartitions(brokers({ a: [1, 2], b: [3, 4] }), 8, 2, "u");
    const leaders = new Map<number, number>();
    for (const p of placed) leaders.set(p.replicas[0], (leaders.get(p.replicas[0]) ?? 0) + 1);
    expect([...leaders.values()]).toEqual([2, 2, 2, 2]);
  });

  test("the same topic UUID gives the same placement; the rotation follows the UUID", () => {
    const bs = brokers({ a: [1, 2, 3], b: [4, 5, 6] });
    expect(placePartitions(bs, 6, 2, "x")).toEqual(placePartitions([...bs].reverse(), 6, 2, "x"));
    const firstLeaders = new Set(["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"].map((u) => placePartitions(bs, 1, 1, u)[0].replicas[0]));
    expect(firstLeaders.size).toBeGreaterThan(1);
    expect(seedOf("abc")).toBe(seedOf("abc"));
  });

  test("replicationFactor above the broker count is a PlacementError", () => {
    expect(() => placePartitions(brokers({ a: [1, 2] }), 1, 3, "u")).toThrow(PlacementError);
    expect(() => placePartitions(brokers({ a: [1, 2] }), 1, 3, "u")).toThrow("replicationFactor 3 exceeds the 2 active brokers");
  });

  test("property: replicas are distinct, registered, and cover min(rf, racks) racks", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ brokerId: fc.integer({ min: 0, max: 50 }), rackId: fc.constantFrom("a", "b", "c", "") }), { selector: (b) => b.brokerId, minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 20 }),
        fc.nat(),
        fc.string(),
        (bs, partitions, rfSeed, uuid) => {
          const rf = 1 + (rfSeed % bs.length);
          const rackOf = new Map(bs.map((b) => [b.brokerId, b.rackId]));
          const racks = new Set(bs.map((b) => b.rackId)).size;
          for (const p of placePartitions(bs, partitions, rf, uuid)) {
            expect(new Set(p.replicas).size).toBe(rf);
            for (const id of p.replicas) expect(rackOf.has(id)).toBe(true);
            expect(new Set(p.replicas.map((id) => rackOf.get(id))).size).toBe(Math.min(rf, racks));
          }
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
