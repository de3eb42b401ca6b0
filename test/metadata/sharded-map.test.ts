// ShardedMap against a plain Map: the same contents under any sequence of changes, and every
// frozen view keeps the contents it was taken with whatever changes follow.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ShardedMap } from "../../src/metadata/sharded-map.ts";

const SEED = 0x5d;

type Op = { kind: "set"; key: string; value: number } | { kind: "delete"; key: string } | { kind: "freeze" };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: fc.string({ maxLength: 4 }), value: fc.integer() }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.string({ maxLength: 4 }) }),
  fc.constant({ kind: "freeze" as const }),
);

const sorted = (m: ReadonlyMap<string, number>) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

describe("sharded map", () => {
  test("holds what a Map holds, and frozen views never change", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const sharded = new ShardedMap<string, number>();
        const model = new Map<string, number>();
        const views: { view: ReadonlyMap<string, number>; expected: [string, number][] }[] = [];
        for (const o of ops) {
          if (o.kind === "set") {
            sharded.set(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === "delete") {
            expect(sharded.delete(o.key)).toBe(model.delete(o.key));
          } else {
            views.push({ view: sharded.freeze(), expected: sorted(model) });
          }
          expect(sharded.size).toBe(model.size);
        }
        expect(sorted(sharded)).toEqual(sorted(model));
        for (const key of model.keys()) expect(sharded.get(key)).toBe(model.get(key));
        for (const { view, expected } of views) {
          expect(sorted(view)).toEqual(expected);
          expect(view.size).toBe(expected.length);
          for (const [k, v] of expected) expect(view.has(k) && view.get(k)).toBe(v);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test("number keys (any safe integer) and the iteration forms agree", () => {
    const m = new ShardedMap<number, string>();
    const keys = [0, 1, 255, 256, -7, Number.MAX_SAFE_INTEGER, 2_147_483_647];
    for (const k of keys) m.set(k, String(k));
    const view = m.freeze();
    m.delete(256);
    m.set(3, "3");
    expect([...view.keys()].sort((a, b) => a - b)).toEqual([...keys].sort((a, b) => a - b));
    expect([...view.values()].sort()).toEqual(keys.map(String).sort());
    const seen: number[] = [];
    view.forEach((v, k) => {
      expect(v).toBe(String(k));
      seen.push(k);
    });
    expect(seen).toEqual([...view.keys()]);
    expect(m.has(256)).toBe(false);
    expect(m.get(3)).toBe("3");
    expect(m.size).toBe(keys.length);
  });
});
