// Dropping unobserved indeterminate puts keeps the checker's verdict: checked on hand-made
// histories and on generated ones, corrupted and not.
import { describe, expect, test } from "bun:test";
import type { KvOperation } from "./history.ts";
import { checkLinearizable } from "./linearizability.ts";
import { kvRegisterModel } from "./model.ts";
import { Prng } from "./prng.ts";
import { withoutUnobservedUnknownPuts } from "./unobserved-writes.ts";

const put = (client: number, key: string, value: string, call: number, ret: number): KvOperation => ({ client, input: { kind: "put", key, value }, output: null, call, ret });
const get = (client: number, key: string, output: string | null, call: number, ret: number): KvOperation => ({ client, input: { kind: "get", key }, output, call, ret });
const verdict = (h: KvOperation[]) => checkLinearizable(kvRegisterModel, h).ok;

describe("withoutUnobservedUnknownPuts", () => {
  test("drops only indeterminate puts nobody read", () => {
    const h = [put(1, "a", "x", 0, 1), put(2, "a", "y", 2, Infinity), put(3, "a", "z", 2, Infinity), get(4, "a", "z", 5, 6)];
    expect(withoutUnobservedUnknownPuts(h)).toEqual([h[0]!, h[2]!, h[3]!]);
  });

  test("a value read on another key does not keep a put", () => {
    const h = [put(1, "a", "x", 0, Infinity), get(2, "b", "x", 1, 2)];
    expect(withoutUnobservedUnknownPuts(h)).toEqual([h[1]!]);
  });

  test("a stale read stays a violation after the pruning", () => {
    const h = [put(1, "a", "x", 0, 1), put(2, "a", "y", 2, Infinity), get(3, "a", null, 3, 4)];
    expect(verdict(withoutUnobservedUnknownPuts(h))).toBe(false);
  });

  test("the verdict is the same with and without pruning on generated histories", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const h = generated(new Prng(seed));
      expect(verdict(withoutUnobservedUnknownPuts(h))).toBe(verdict(h));
    }
  });
});

/** Random, mostly non-linearizable histories on two keys with some indeterminate puts. */
function generated(rng: Prng): KvOperation[] {
  const ops: KvOperation[] = [];
  for (let i = 0; i < 10; i++) {
    const key = rng.pick(["a", "b"]);
    const call = rng.int(0, 40);
    const ret = rng.chance(0.3) ? Infinity : call + rng.int(0, 10);
    if (rng.chance(0.5)) ops.push(put(i, key, `v${rng.int(0, 3)}`, call, ret));
    else ops.push(get(i, key, rng.chance(0.2) ? null : `v${rng.int(0, 3)}`, call, Math.min(ret, call + 10)));
  }
  return ops;
}
