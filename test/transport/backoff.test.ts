// Reconnect backoff: exponential growth, the cap, jitter within bounds, reset.
import { describe, expect, test } from "bun:test";
import { Backoff } from "../../src/transport/backoff.ts";
import { seededRandom } from "./helpers.ts";

describe("backoff", () => {
  test("doubles from min to max, each delay in [base/2, base]", () => {
    const b = new Backoff(10, 200, seededRandom(3));
    const bases = [10, 20, 40, 80, 160, 200, 200, 200];
    for (const base of bases) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(base / 2);
      expect(d).toBeLessThanOrEqual(base);
    }
  });

  test("jitter comes from the injected source; reset starts over", () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([low.next(), low.next(), low.next()]).toEqual([50, 100, 200]);
    low.reset();
    expect(low.next()).toBe(50);
    const high = new Backoff(100, 1000, () => 0.999999);
    expect(high.next()).toBe(100);
  });

  test("stays bounded after very many failures", () => {
    const b = new Backoff(1, 500, seededRandom(9));
    let d = 0;
    for (let i = 0; i < 10_000; i++) d = b.next();
    expect(d).toBeLessThanOrEqual(500);
  });

  test("a random source outside [0, 1) is an error", () => {
    expect(() => new Backoff(1, 2, () => 1).next()).toThrow(RangeError);
  });
});
