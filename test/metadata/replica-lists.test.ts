// Interned replica lists: equal lists are shared and frozen, records keep their content.
import { describe, expect, test } from "bun:test";
import { freezeRecord } from "../../src/metadata/apply-result.ts";
import type { PartitionRecord } from "../../src/metadata/records.ts";
import { internReplicas } from "../../src/metadata/replica-lists.ts";

function partition(id: number, replicas: number[]): PartitionRecord {
  return {
    type: "metadata", name: "PartitionRecord", offset: 1, timestamp: "2026-11-24T00:00:00.000Z",
    fields: { partitionId: id, topicUUID: "t", replicas, ISR: [...replicas], removingReplicas: [], addingReplicas: [], leader: String(replicas[0]), partitionEpoch: 0, leaderEpoch: 0 },
  };
}

describe("interned replica lists", () => {
  test("equal lists are one frozen list; a caller's array is never frozen or kept", () => {
    const mine = [3, 1, 2];
    const a = internReplicas(mine);
    expect(internReplicas([3, 1, 2])).toBe(a);
    expect(a).toEqual([3, 1, 2]);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(mine)).toBe(false);
    expect(internReplicas([1, 2, 3])).not.toBe(a);
  });

  test("frozen partition records share their lists and keep their content", () => {
    const one = freezeRecord(partition(0, [1, 2, 3]));
    const two = freezeRecord(partition(1, [1, 2, 3]));
    expect(two.fields.replicas).toBe(one.fields.replicas);
    expect(two.fields.ISR).toBe(one.fields.replicas);
    expect(two.fields.addingReplicas).toBe(one.fields.removingReplicas);
    expect(one).toEqual(partition(0, [1, 2, 3]));
    expect(Object.isFrozen(one) && Object.isFrozen(one.fields)).toBe(true);
    expect(() => (one.fields.ISR as number[]).push(4)).toThrow();
  });

  test("long lists are frozen but not pooled", () => {
    const long = Array.from({ length: 40 }, (_, i) => i);
    const a = internReplicas(long);
    expect(a).toEqual(long);
    expect(Object.isFrozen(a)).toBe(true);
    expect(internReplicas([...long])).not.toBe(a);
  });

  test("short lists of small ids (the packed pool) and every other list are told apart exactly", () => {
    const lists = [[0], [1], [0, 1], [1, 0], [0, 0, 1], [0, 1, 0], [511], [512], [511, 511, 511], [1, 2, 3], [1, 2, 3, 4], [-1], [1.5], [2 ** 31], [0, 512], [512, 0]];
    const interned = lists.map((l) => internReplicas(l));
    for (let i = 0; i < lists.length; i++) {
      expect([...interned[i]]).toEqual(lists[i]);
      expect(Object.isFrozen(interned[i])).toBe(true);
      expect(internReplicas([...lists[i]])).toBe(interned[i]);
      for (let j = 0; j < i; j++) expect(interned[j]).not.toBe(interned[i]);
    }
  });

  test("every list of up to 3 ids from a few values is one interned list per distinct content", () => {
    const values = [0, 1, 2, 255, 256, 510, 511, 512, 70_000];
    const seen = new Map<string, readonly number[]>();
    const each = (prefix: number[]) => {
      const list = internReplicas([...prefix]);
      const key = prefix.join(",");
      expect([...list]).toEqual(prefix);
      if (seen.has(key)) expect(list).toBe(seen.get(key) as readonly number[]);
      seen.set(key, list);
      if (prefix.length < 3) for (const v of values) each([...prefix, v]);
    };
    for (const v of values) each([v]);
    expect(new Set(seen.values()).size).toBe(seen.size);
  });
});
