// The nemesis test's own checks can fail: histories recorded the way its clients record them
// (HistoryRecorder with a test clock), pruned as it prunes them, are rejected by the checker when
// a read misses an acknowledged write or goes back in time; the leader watch flags two leaders in
// one term; and the fault plan is a pure function of its seed. No processes are started here.
import { describe, expect, test } from "bun:test";
import { checkLinearizable } from "../sim/linearizability.ts";
import { kvRegisterModel } from "../sim/model.ts";
import { Prng } from "../sim/prng.ts";
import { withoutUnobservedUnknownPuts } from "../sim/unobserved-writes.ts";
import { LeaderWatch } from "./support/leader-watch.ts";
import { brokerKey, HistoryRecorder, TOPIC_PRESENT, topicKey } from "./support/nemesis-history.ts";
import { FAULT_KINDS, planFaults } from "./support/nemesis-plan.ts";
import type { ProcessCluster } from "./support/process-cluster.ts";

/** A recorder on a clock the test moves by hand, one tick per event. */
function recorder(): { rec: HistoryRecorder; tick: () => void } {
  let now = 0;
  return { rec: new HistoryRecorder(() => now), tick: () => void now++ };
}

const verdict = (rec: HistoryRecorder) => checkLinearizable(kvRegisterModel, withoutUnobservedUnknownPuts(rec.history()));

describe("the nemesis history, checked", () => {
  test("a read that misses an acknowledged topic create is a violation", () => {
    const { rec, tick } = recorder();
    const create = rec.invoke(1, { kind: "put", key: topicKey("t-0"), value: TOPIC_PRESENT });
    tick();
    rec.complete(create, null);
    tick();
    const read = rec.invoke(2, { kind: "get", key: topicKey("t-0") });
    tick();
    rec.complete(read, null);
    expect(verdict(rec)).toEqual({ ok: false, partition: "topic:t-0", operations: 2 });
  });

  test("a broker read going back to an overwritten host is a violation, among clean keys", () => {
    const { rec, tick } = recorder();
    for (const [client, host] of [[1, "h-a"], [2, "h-b"]] as const) {
      const w = rec.invoke(client, { kind: "put", key: brokerKey(1), value: host });
      tick();
      rec.complete(w, null);
      tick();
    }
    const fine = rec.invoke(3, { kind: "get", key: brokerKey(2) });
    rec.complete(fine, null);
    const stale = rec.invoke(3, { kind: "get", key: brokerKey(1) });
    tick();
    rec.complete(stale, "h-a");
    expect(verdict(rec).ok).toBe(false);
  });

  test("an indeterminate write may show up late, but not before it was invoked", () => {
    const late = recorder();
    const w = late.rec.invoke(1, { kind: "put", key: brokerKey(1), value: "h-x" });
    late.tick();
    late.rec.unknown(w);
    const r = late.rec.invoke(2, { kind: "get", key: brokerKey(1) });
    late.tick();
    late.rec.complete(r, "h-x");
    expect(verdict(late.rec).ok).toBe(true);
    expect(late.rec.counts).toMatchObject({ writes: 1, acknowledged: 0, indeterminate: 1, readsAnswered: 1 });

    const early = recorder();
    const r2 = early.rec.invoke(2, { kind: "get", key: brokerKey(1) });
    early.tick();
    early.rec.complete(r2, "h-x");
    early.tick();
    early.rec.unknown(early.rec.invoke(1, { kind: "put", key: brokerKey(1), value: "h-x" }));
    expect(verdict(early.rec).ok).toBe(false);
  });

  test("an unanswered read and a refused write are left out; an operation cannot complete twice", () => {
    const { rec } = recorder();
    const r = rec.invoke(1, { kind: "get", key: topicKey("t-1") });
    rec.unknown(r);
    rec.refused(rec.invoke(1, { kind: "put", key: brokerKey(1), value: "h" }));
    expect(rec.history()).toEqual([]);
    expect(rec.counts).toMatchObject({ readsUnanswered: 1, refused: 1, writes: 1 });
    expect(() => rec.complete(r, null)).toThrow("completed twice");
  });
});

describe("the leader watch", () => {
  const watch = () => new LeaderWatch({ ids: [1, 2, 3] } as unknown as ProcessCluster);

  test("one leader per term, seen by leader and followers alike, is fine", () => {
    const w = watch();
    w.record({ nodeId: 1, role: "leader", leader: 1, term: 3 });
    w.record({ nodeId: 2, role: "follower", leader: 1, term: 3 });
    w.record({ nodeId: 3, role: "follower", leader: 0, term: 4 });
    w.record({ nodeId: 2, role: "leader", leader: 2, term: 5 });
    expect(w.violations).toEqual([]);
    expect(w.latestLeader).toBe(2);
    expect(w.terms).toBe(2);
  });

  test("two leaders in one term are a violation", () => {
    const w = watch();
    w.record({ nodeId: 1, role: "leader", leader: 1, term: 3 });
    w.record({ nodeId: 3, role: "follower", leader: 2, term: 3 });
    expect(w.violations).toEqual(["term 3: node 1 saw leader 1, node 3 saw leader 2"]);
  });
});

describe("the fault plan", () => {
  test("is a function of the seed, covers every kind, and fills the duration", () => {
    const a = planFaults(new Prng(42), [1, 2, 3], 20_000);
    expect(planFaults(new Prng(42), [1, 2, 3], 20_000)).toEqual(a);
    expect(planFaults(new Prng(43), [1, 2, 3], 20_000)).not.toEqual(a);
    expect(new Set(a.slice(0, FAULT_KINDS.length).map((s) => s.kind))).toEqual(new Set(FAULT_KINDS));
    const total = a.reduce((sum, s) => sum + s.holdMs + s.gapMs, 0);
    expect(total).toBeGreaterThanOrEqual(20_000);
    expect(total - (a.at(-1)!.holdMs + a.at(-1)!.gapMs)).toBeLessThan(20_000);
  });

  test("pauses outlast an election timeout and a one-way cut has two distinct ends", () => {
    for (let seed = 0; seed < 50; seed++) {
      for (const s of planFaults(new Prng(seed), [1, 2, 3], 20_000)) {
        if (s.kind === "pause") expect(s.holdMs).toBeGreaterThan(200);
        expect(s.peer).not.toBe(s.node);
        expect([1, 2, 3]).toContain(s.node);
      }
    }
  });

  test("refuses a plan it cannot run", () => {
    expect(() => planFaults(new Prng(1), [1], 1_000)).toThrow("at least 2 nodes");
    expect(() => planFaults(new Prng(1), [1, 2], 0)).toThrow("positive");
  });
});
