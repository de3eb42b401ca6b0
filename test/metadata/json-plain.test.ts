// isJsonPlain: true exactly for the values JSON.parse(JSON.stringify(value)) gives back unchanged,
// checked against the round trip itself for random JSON values, and false for each kind of value
// the round trip changes.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isJsonPlain } from "../../src/metadata/json-plain.ts";

/** The value JSON gives back equals it, -0 told from 0 and undefined members from absent ones. */
function survivesJson(value: unknown): boolean {
  const text = JSON.stringify(value);
  if (text === undefined) return false;
  return Bun.deepEquals(JSON.parse(text), value, true);
}

describe("isJsonPlain", () => {
  test("parsed JSON is plain, and survives the round trip", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(isJsonPlain(value)).toBe(survivesJson(value));
      }),
      { seed: 11, numRuns: 1_000 },
    );
  });

  test("values that JSON changes are not plain", () => {
    const holey = [1, 2, 3];
    delete holey[1];
    const extra = Object.assign([1], { note: "x" });
    class Point {
      x = 1;
    }
    const inherited = Object.create({ hidden: 1 });
    inherited.shown = 2;
    const notPlain: unknown[] = [undefined, Number.NaN, Number.POSITIVE_INFINITY, -0, { a: -0 }, [1, -0], { a: undefined }, [undefined], holey, extra, new Point(), new Date(0), new Map(), inherited, () => 1, Symbol("s"), 1n];
    for (const value of notPlain) expect(isJsonPlain(value)).toBe(false);
  });

  test("plain values are, at any key order and with a null prototype", () => {
    const bare = Object.assign(Object.create(null), { b: 1, a: [1, "x", null, true, { c: "d" }] });
    const values: unknown[] = ["", "\ud800", 0, 1.5, -1, true, null, [], {}, { z: 1, a: 2, 7: 3 }, bare];
    for (const value of values) expect(isJsonPlain(value)).toBe(true);
  });

  test("nesting past maxDepth is not plain", () => {
    expect(isJsonPlain({ a: { b: [1] } }, 3)).toBe(true);
    expect(isJsonPlain({ a: { b: [1] } }, 2)).toBe(false);
  });
});
