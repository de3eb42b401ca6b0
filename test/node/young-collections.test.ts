// The pacer of the node's own young collections (young-collections.ts): one every `every` units of
// work and one at a job's end, spaced out while they hold the loop and back again once they do
// not, a failing collector reported and never thrown; without a collector nothing is counted.
// Then a runtime whose applies add up to the bound collects, and says so in its metrics.
import { afterEach, describe, expect, test } from "bun:test";
import { RECORDS_PER_COLLECTION } from "../../src/node/apply-slices.ts";
import type { RaftRuntime } from "../../src/node/raft-runtime.ts";
import { COLLECT_PAUSE_MS, MAX_SPACING_FACTOR, YoungCollections } from "../../src/node/young-collections.ts";
import { MemoryStorage } from "../../src/storage/index.ts";
import { KvStateMachine, kvCommand } from "./support/kv-state-machine.ts";
import { soloRuntime } from "./support/solo-runtime.ts";
import { waitUntil } from "./support/wait-until.ts";

/** A pacer over a counting collector whose every collection takes `ms()` on a hand-moved clock. */
function pacer(every: number, ms: () => number = () => 0) {
  let now = 0;
  const at: number[] = [];
  let done = 0;
  const young = new YoungCollections(
    () => {
      at.push(done);
      now += ms();
    },
    every,
    () => now,
  );
  const work = (units: number) => {
    for (let i = 0; i < units; i++) {
      done++;
      young.note();
    }
  };
  return { young, at, work };
}

describe("young collections", () => {
  test("one every `every` units of work, and at the end only when work was done since the last", () => {
    const p = pacer(4);
    p.work(10);
    expect(p.at).toEqual([4, 8]);
    p.young.finish();
    expect(p.at).toEqual([4, 8, 10]);
    p.young.finish();
    expect(p.at).toEqual([4, 8, 10]);
    expect(p.young.report()).toEqual({ youngCollections: 3, collectMs: 0, longestCollectMs: 0 });
  });

  test("work added in lumps says when a collection is due; collectNow runs it and starts the count again", () => {
    let collected = 0;
    const young = new YoungCollections(() => collected++, 100, () => 0);
    expect(young.add(60)).toBe(false);
    expect(young.add(60)).toBe(true);
    expect(collected).toBe(0);
    young.collectNow();
    expect(collected).toBe(1);
    expect(young.add(99)).toBe(false);
    expect(() => young.add(-1)).toThrow(RangeError);
    expect(() => young.add(0.5)).toThrow(RangeError);
  });

  test("a collection over COLLECT_PAUSE_MS doubles the work until the next; a quick one halves it, never below where it began", () => {
    let slow = true;
    const p = pacer(2, () => (slow ? COLLECT_PAUSE_MS + 1 : 1));
    p.work(14);
    // Slow: after 2, then 4 more, then 8 more.
    expect(p.at).toEqual([2, 6, 14]);
    expect(p.young.spacing).toBe(16);
    slow = false;
    p.work(16 + 8 + 4);
    expect(p.at).toEqual([2, 6, 14, 30, 38, 42]);
    expect(p.young.spacing).toBe(2);
    p.work(4);
    expect(p.at.slice(-2)).toEqual([44, 46]);
    expect(p.young.spacing).toBe(2);
    const r = p.young.report();
    expect(r.youngCollections).toBe(8);
    expect(r.longestCollectMs).toBe(COLLECT_PAUSE_MS + 1);
    expect(r.collectMs).toBe(3 * (COLLECT_PAUSE_MS + 1) + 5);
  });

  test("spacing out stops at MAX_SPACING_FACTOR times where it began: a node slow for good still collects", () => {
    const p = pacer(1, () => COLLECT_PAUSE_MS + 1);
    let collections = 0;
    for (let i = 0; i < 40; i++) {
      p.work(p.young.spacing);
      collections++;
      expect(p.young.report().youngCollections).toBe(collections);
    }
    expect(p.young.spacing).toBe(MAX_SPACING_FACTOR);
  });

  test("a collector that throws is reported, the pacing goes on", () => {
    let calls = 0;
    const young = new YoungCollections(
      () => {
        calls++;
        throw new Error("collector broke (injected)");
      },
      1,
      () => 0,
    );
    young.note();
    young.note();
    expect(calls).toBe(2);
    expect(young.report()).toEqual({ youngCollections: 2, collectMs: 0, longestCollectMs: 0, collectError: "collector broke (injected)" });
  });

  test("without a collector nothing runs and nothing is counted; the spacing must be a positive integer", () => {
    const young = new YoungCollections(undefined, 1, () => 0);
    young.note(5);
    young.finish();
    expect(young.report()).toEqual({ youngCollections: 0, collectMs: 0, longestCollectMs: 0 });
    for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER]) expect(() => new YoungCollections(undefined, bad, () => 0)).toThrow(RangeError);
  });
});

/** Every write counts as a third of the applies' bound in records: the third write reaches it. */
class HeavyKv extends KvStateMachine {
  override recordsApplied(): number {
    return super.recordsApplied() * (RECORDS_PER_COLLECTION / 3);
  }
}

let runtime: RaftRuntime | null = null;

afterEach(async () => {
  await runtime?.stop();
  runtime = null;
});

describe("a runtime's applies", () => {
  test("are collected for once their records reach the bound, and the collections are in its metrics", async () => {
    let collected = 0;
    const rt = (runtime = soloRuntime(new MemoryStorage(), { stateMachine: new HeavyKv(), collectYoung: () => collected++ }));
    await rt.start();
    await waitUntil("self-election", () => rt.isLeader());
    await rt.propose(kvCommand("a", "1"));
    await rt.propose(kvCommand("a", "2"));
    expect(collected).toBe(0);
    // The third write's apply reaches the bound: collected before its proposer hears back.
    await rt.propose(kvCommand("a", "3"));
    expect(collected).toBe(1);
    expect(rt.metrics().yakt_apply_young_collections_total).toBe(1);
    for (let i = 0; i < 3; i++) await rt.propose(kvCommand("b", String(i)));
    expect(collected).toBe(2);
    expect(rt.metrics()).toMatchObject({ yakt_apply_young_collections_total: 2 });
  });
});
