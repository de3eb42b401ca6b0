import { describe, expect, test } from "bun:test";
import { CheckerBudgetError, checkLinearizable } from "./linearizability.ts";
import { kvRegisterModel } from "./model.ts";
import type { KvOperation } from "./history.ts";
import { Prng } from "./prng.ts";

const put = (client: number, key: string, value: string, call: number, ret: number): KvOperation => ({
  client,
  input: { kind: "put", key, value },
  output: null,
  call,
  ret,
});
const get = (client: number, key: string, output: string | null, call: number, ret: number): KvOperation => ({
  client,
  input: { kind: "get", key },
  output,
  call,
  ret,
});

const check = (h: KvOperation[]) => checkLinearizable(kvRegisterModel, h).ok;

describe("linearizability checker: linearizable histories", () => {
  test("empty history", () => expect(check([])).toBe(true));

  test("sequential put then get", () => {
    expect(check([put(1, "a", "x", 0, 1), get(2, "a", "x", 2, 3)])).toBe(true);
  });

  test("read of a never-written key is null", () => {
    expect(check([get(1, "a", null, 0, 1)])).toBe(true);
  });

  test("concurrent read may see the old or the new value", () => {
    expect(check([put(1, "a", "x", 0, 1), put(1, "a", "y", 2, 10), get(2, "a", "x", 3, 4), get(3, "a", "y", 5, 6)])).toBe(true);
  });

  test("unknown-outcome write may take effect late", () => {
    expect(check([put(1, "a", "x", 0, Infinity), get(2, "a", null, 5, 6), get(2, "a", "x", 7, 8)])).toBe(true);
  });

  test("unknown-outcome write may never take effect", () => {
    expect(check([put(1, "a", "x", 0, 1), put(2, "a", "y", 2, Infinity), get(3, "a", "x", 10, 11), get(3, "a", "x", 12, 13)])).toBe(true);
  });

  test("keys are independent partitions", () => {
    expect(check([put(1, "a", "x", 0, 1), put(1, "b", "y", 2, 3), get(2, "a", "x", 4, 5), get(2, "b", "y", 4, 5)])).toBe(true);
  });

  test("operations touching at one instant count as concurrent", () => {
    expect(check([put(1, "a", "x", 0, 5), get(2, "a", null, 5, 6)])).toBe(true);
  });
});

describe("linearizability checker: non-linearizable histories", () => {
  test("stale read after an acknowledged write", () => {
    const r = checkLinearizable(kvRegisterModel, [put(1, "a", "x", 0, 1), get(2, "a", null, 2, 3)]);
    expect(r).toEqual({ ok: false, partition: "a", operations: 2 });
  });

  test("read of a value nobody wrote", () => {
    expect(check([put(1, "a", "x", 0, 1), get(2, "a", "z", 2, 3)])).toBe(false);
  });

  test("reads going back in time", () => {
    expect(check([put(1, "a", "x", 0, 1), put(1, "a", "y", 2, 20), get(2, "a", "y", 3, 4), get(3, "a", "x", 5, 6)])).toBe(false);
  });

  test("unknown-outcome write cannot take effect before its call", () => {
    expect(check([get(2, "a", "x", 0, 1), put(1, "a", "x", 2, Infinity)])).toBe(false);
  });

  test("unknown-outcome write cannot be undone once observed", () => {
    expect(check([put(1, "a", "x", 0, 1), put(2, "a", "y", 2, Infinity), get(3, "a", "y", 3, 4), get(3, "a", "x", 5, 6)])).toBe(false);
  });

  // A deposed leader's history (faults.ts deposeLeader): v1 acknowledged through it, then cut off;
  // a put it took meanwhile can never commit (unknown outcome); the new leader acknowledges v2;
  // a read begun after that acknowledgement, answered by the old leader from its state, sees v1.
  const deposed = (readCall: number) => [
    put(0, "a", "v1", 0, 10),
    put(3, "a", "v3", 90, Infinity),
    put(1, "a", "v2", 100, 130),
    get(2, "a", "v1", readCall, 160),
    get(4, "a", "v2", 170, 180),
  ];

  test("a deposed leader's stale read, begun after the new leader acknowledged a write", () => {
    expect(checkLinearizable(kvRegisterModel, deposed(140))).toEqual({ ok: false, partition: "a", operations: 5 });
  });

  test("the same read begun before that acknowledgement may still see the old value", () => {
    expect(check(deposed(120))).toBe(true);
  });

  test("violation on one key is found among clean keys", () => {
    const h = [put(1, "b", "1", 0, 1), get(2, "b", "1", 2, 3), put(1, "a", "x", 0, 1), get(2, "a", null, 2, 3)];
    expect(checkLinearizable(kvRegisterModel, h)).toEqual({ ok: false, partition: "a", operations: 2 });
  });
});

describe("linearizability checker: generated histories", () => {
  // A register executed atomically at a random instant inside each operation's interval is
  // linearizable by construction; corrupting one read to a never-written value makes it not.
  function generated(seed: number, corrupt: boolean): KvOperation[] {
    const rng = new Prng(seed);
    const events: { at: number; op: KvOperation }[] = [];
    for (let c = 0; c < 4; c++) {
      let t = rng.int(0, 5);
      for (let i = 0; i < 12; i++) {
        const call = t;
        const ret = call + rng.int(1, 30);
        const at = rng.int(call, ret);
        const op = rng.chance(0.5) ? put(c, "k", `v${c}.${i}`, call, ret) : get(c, "k", null, call, ret);
        events.push({ at, op });
        t = ret + rng.int(1, 10);
      }
    }
    events.sort((x, y) => x.at - y.at);
    let value: string | null = null;
    for (const { op } of events) {
      if (op.input.kind === "put") value = op.input.value;
      else op.output = value;
    }
    const ops = events.map((e) => e.op);
    if (corrupt) {
      const read = ops.find((o) => o.input.kind === "get");
      if (read) read.output = "never-written";
    }
    return ops;
  }

  test("histories from an atomic register are linearizable", () => {
    for (let seed = 1; seed <= 50; seed++) expect(check(generated(seed, false))).toBe(true);
  });

  test("the same histories with one impossible read are not", () => {
    for (let seed = 1; seed <= 50; seed++) expect(check(generated(seed, true))).toBe(false);
  });

  test("the search is bounded", () => {
    const h: KvOperation[] = [];
    for (let i = 0; i < 12; i++) h.push(put(i, "a", `v${i}`, 0, 100));
    h.push(get(99, "a", "nope", 101, 102));
    expect(() => checkLinearizable(kvRegisterModel, h, 50)).toThrow(CheckerBudgetError);
  });
});
