import { expect, test } from "bun:test";
import { Prng } from "./prng.ts";

test("same seed, same sequence; different seeds differ", () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const xs = Array.from({ length: 100 }, () => a.nextU32());
  expect(Array.from({ length: 100 }, () => b.nextU32())).toEqual(xs);
  expect(Array.from({ length: 100 }, () => c.nextU32())).not.toEqual(xs);
});

test("int stays in range and covers it", () => {
  const r = new Prng(7);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const x = r.int(3, 8);
    expect(x).toBeGreaterThanOrEqual(3);
    expect(x).toBeLessThanOrEqual(8);
    seen.add(x);
  }
  expect(seen.size).toBe(6);
});

test("next is in [0, 1)", () => {
  const r = new Prng(0);
  for (let i = 0; i < 1000; i++) {
    const x = r.next();
    expect(x >= 0 && x < 1).toBe(true);
  }
});

test("bad arguments are refused with the value", () => {
  expect(() => new Prng(-1)).toThrow("-1");
  expect(() => new Prng(0).int(5, 1)).toThrow("5, 1");
  expect(() => new Prng(0).pick([])).toThrow("empty");
});
