// The Applier's work in slices (Applier, ApplySlices, the runtime's apply and install paths):
// committed entries are applied for at most a slice's budget of time, the rest in later slices, in
// order; a leader's snapshot is installed in slices, the old state whole and the applied index put
// until the snapshot replaces the state, entries committed meanwhile applied after it; a newer
// snapshot replaces one in progress; a state machine without beginRestore is restored in one go;
// the Applier says when it is done with a leader's snapshot (its bytes then given back).
// Then a real 3-node cluster whose lagging follower catches up that way.
import { afterEach, describe, expect, test } from "bun:test";
import { APPLY_SLICE_MS, Applier } from "../../src/node/applier.ts";
import { ApplySlices, INSTALL_SLICES_PER_COLLECTION, type InstallReport, RECORDS_PER_COLLECTION } from "../../src/node/apply-slices.ts";
import { COLLECT_PAUSE_MS } from "../../src/node/young-collections.ts";
import { Logger } from "../../src/node/logger.ts";
import { ProposalWaiters } from "../../src/node/proposal-waiters.ts";
import type { Entry, Membership, Snapshot } from "../../src/raft/types.ts";
import { KvStateMachine, SlicedKvStateMachine, kvCommand } from "./support/kv-state-machine.ts";
import { writeThroughLeader } from "./support/leader-write.ts";
import { RuntimeCluster } from "./support/runtime-cluster.ts";
import { waitUntil } from "./support/wait-until.ts";

const MEMBERS: Membership = { voters: [1], learners: [], addresses: { "1": "127.0.0.1:1" } };
const encoder = new TextEncoder();

/** An Applier whose clock moves a whole slice budget each time it is read: one entry per slice. */
function applierOf(sm: KvStateMachine, clock: () => number = Date.now): Applier {
  return new Applier(sm, new ProposalWaiters(100, 10_000), new Logger(1, () => {}, () => ({ term: 1, role: "follower" })), MEMBERS, clock);
}

function racingClock(): () => number {
  let now = 0;
  return () => (now += APPLY_SLICE_MS);
}

function snapshotOf(index: number, entries: [string, string][]): Snapshot {
  return { meta: { index, term: 1, membership: MEMBERS }, data: encoder.encode(JSON.stringify({ applied: index, entries })) };
}

function entry(index: number, key: string, value: string): Entry {
  return { index, term: 1, type: "normal", data: kvCommand(key, value) } as Entry;
}

/** What ApplySlices needs, its deferred slices queued for the test to run. */
function queuedDeps(applier: Applier, queue: (() => void)[]) {
  return { applier, defer: (w: () => void) => queue.push(w), guarded: (s: () => void) => (s(), true), onSlice: () => {}, onReplaced: () => {} };
}

/** Steps the install to its end; how many steps it took. */
function finish(applier: Applier, maxItems = 100): number {
  for (let steps = 1; steps <= 10_000; steps++) {
    applier.step(maxItems);
    if (!applier.pending) return steps;
  }
  throw new Error("install not done after 10,000 steps");
}

describe("entries applied in slices (Applier)", () => {
  test("a run over the slice's budget is applied in order over later slices; applied moves entry by entry", () => {
    const sm = new KvStateMachine();
    const applier = applierOf(sm, racingClock());
    expect(applier.apply([entry(1, "a", "1"), entry(2, "b", "2"), entry(3, "a", "3")])).toBe(false);
    expect(applier.applied).toBe(1);
    expect(applier.pending).toBe(true);
    // Entries committed meanwhile queue behind; those already waiting or applied are not taken twice.
    applier.apply([entry(2, "b", "2"), entry(3, "a", "3"), entry(4, "c", "4")]);
    expect(applier.applied).toBe(2);
    expect(finish(applier)).toBe(2);
    expect(applier.applied).toBe(4);
    expect([...sm.data]).toEqual([["a", "3"], ["b", "2"], ["c", "4"]]);
  });

  test("within the budget a whole run applies at once (the simulator's clock stands still)", () => {
    const sm = new KvStateMachine();
    const applier = applierOf(sm, () => 0);
    applier.apply(Array.from({ length: 500 }, (_, i) => entry(i + 1, `k${i % 7}`, `v${i}`)));
    expect(applier.applied).toBe(500);
    expect(applier.pending).toBe(false);
  });
});

describe("an install in slices (Applier)", () => {
  test("the old state and applied index stay until the snapshot replaces them; entries meanwhile are held, then applied in order", () => {
    const sm = new SlicedKvStateMachine(2);
    const applier = applierOf(sm, racingClock());
    applier.apply([entry(1, "old", "1")]);
    expect(applier.beginInstall(snapshotOf(10, [["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"], ["e", "5"]]))).toBe(true);
    expect(applier.installingIndex).toBe(10);
    // Committed while installing: 9 is covered by the snapshot, 11 and 12 are held.
    expect(applier.apply([entry(9, "x", "covered"), entry(11, "a", "after")])).toBe(false);
    applier.apply([entry(11, "a", "after"), entry(12, "f", "6")]);
    const first = applier.step(100);
    expect(first).toEqual({ replaced: false, configChanged: false });
    expect(applier.applied).toBe(1);
    expect([...sm.data]).toEqual([["old", "1"]]);
    applier.step(100);
    expect(applier.step(100).replaced).toBe(true); // 5 keys, 2 a step
    expect(applier.applied).toBe(10);
    expect(sm.data.get("a")).toBe("1");
    expect(applier.installingIndex).toBeNull();
    expect(applier.pending).toBe(true); // the held entries are still to apply, one a slice here
    applier.step(100);
    expect(applier.applied).toBe(11);
    applier.step(100);
    expect(applier.pending).toBe(false);
    expect(applier.applied).toBe(12);
    expect(sm.data.get("a")).toBe("after");
    expect(sm.data.get("f")).toBe("6");
    expect(sm.data.has("x")).toBe(false);
    expect(sm.violations).toEqual([]);
    // Afterwards entries apply at once again.
    applier.apply([entry(13, "g", "7")]);
    expect(applier.applied).toBe(13);
  });

  test("a newer snapshot replaces the one in progress; held entries it covers are dropped", () => {
    const sm = new SlicedKvStateMachine(1);
    const applier = applierOf(sm);
    applier.beginInstall(snapshotOf(10, [["a", "1"], ["b", "2"]]));
    applier.apply([entry(11, "c", "3"), entry(12, "d", "4"), entry(13, "e", "5")]);
    applier.step(100);
    applier.beginInstall(snapshotOf(12, [["z", "9"]]));
    finish(applier);
    expect(applier.applied).toBe(13);
    expect([...sm.data].sort()).toEqual([["e", "5"], ["z", "9"]]);
    expect(sm.violations).toEqual([]);
  });

  test("an entry that skips past the held ones, or a snapshot not past applied, is a broken invariant", () => {
    const applier = applierOf(new SlicedKvStateMachine());
    applier.apply([entry(1, "a", "1"), entry(2, "a", "2")]);
    expect(() => applier.beginInstall(snapshotOf(1, []))).toThrow("would not move past applied 2");
    applier.beginInstall(snapshotOf(5, [["a", "1"]]));
    expect(() => applier.apply([entry(7, "a", "7")])).toThrow("skips past 5");
    expect(() => applier.apply([entry(6, "a", "6"), entry(8, "a", "8")])).toThrow("skips past 6");
    expect(() => applier.beginInstall(snapshotOf(5, []))).toThrow("would not move past");
  });

  test("a state machine without beginRestore is restored at once", () => {
    const sm = new KvStateMachine();
    const applier = applierOf(sm);
    expect(applier.beginInstall(snapshotOf(4, [["k", "v"]]))).toBe(false);
    expect(applier.installingIndex).toBeNull();
    expect(applier.applied).toBe(4);
    expect(sm.data.get("k")).toBe("v");
  });
});

describe("a leader's snapshot the state machine is done with (Applier doneWith)", () => {
  /** An Applier that records the index of each snapshot it is done with. */
  function watched(sm: KvStateMachine): { applier: Applier; done: number[] } {
    const done: number[] = [];
    const log = new Logger(1, () => {}, () => ({ term: 1, role: "follower" }));
    const applier = new Applier(sm, new ProposalWaiters(100, 10_000), log, MEMBERS, () => 0, (snap) => done.push(snap.meta.index));
    return { applier, done };
  }

  test("a sliced install is done with its bytes once it replaced the state, not before, and once", () => {
    const { applier, done } = watched(new SlicedKvStateMachine(1));
    applier.beginInstall(snapshotOf(10, [["a", "1"], ["b", "2"]]));
    applier.step(100);
    expect(done).toEqual([]);
    finish(applier);
    expect(done).toEqual([10]);
    applier.apply([entry(11, "c", "3")]);
    expect(done).toEqual([10]);
  });

  test("an install overtaken by a newer one is done with at once, the newer one when it replaced the state", () => {
    const { applier, done } = watched(new SlicedKvStateMachine(1));
    applier.beginInstall(snapshotOf(10, [["a", "1"], ["b", "2"]]));
    applier.step(100);
    applier.beginInstall(snapshotOf(12, [["z", "9"], ["y", "8"]]));
    expect(done).toEqual([10]);
    finish(applier);
    expect(done).toEqual([10, 12]);
  });

  test("a restore in one go is done with at once; the snapshot loaded at start is not the Applier's to give back", () => {
    const { applier, done } = watched(new KvStateMachine());
    applier.installSnapshot(snapshotOf(3, [["k", "v"]]));
    expect(done).toEqual([]);
    expect(applier.beginInstall(snapshotOf(4, [["k", "w"]]))).toBe(false);
    expect(done).toEqual([4]);
  });
});

describe("the slices (ApplySlices)", () => {
  test("one slice per deferred step until done, reported once replaced", () => {
    const sm = new SlicedKvStateMachine(1);
    const applier = applierOf(sm);
    const queue: (() => void)[] = [];
    const reports: number[] = [];
    let slices = 0;
    const install = new ApplySlices({
      applier,
      defer: (work) => queue.push(work),
      guarded: (step) => {
        step();
        return true;
      },
      onSlice: () => slices++,
      onReplaced: (r) => reports.push(r.slices),
      sliceItems: 50,
    });
    applier.beginInstall(snapshotOf(3, [["a", "1"], ["b", "2"], ["c", "3"]]));
    install.beginInstall(3, 10);
    install.resume(); // scheduled once
    expect(queue.length).toBe(1);
    while (queue.length > 0) queue.shift()?.();
    expect(slices).toBe(3);
    expect(reports).toEqual([3]);
    expect(applier.applied).toBe(3);
    expect(() => new ApplySlices({ applier, defer: () => {}, guarded: () => true, onSlice: () => {}, onReplaced: () => {}, sliceItems: 0 })).toThrow("positive integer");
  });

  test("an install collects the young generation every few slices and once done; entries' slices never; a failing collector stops nothing", () => {
    const run = (keys: number, collect: () => void) => {
      const applier = applierOf(new SlicedKvStateMachine(1));
      const queue: (() => void)[] = [];
      const reports: InstallReport[] = [];
      const slices = new ApplySlices({ applier, defer: (w) => queue.push(w), guarded: (s) => (s(), true), onSlice: () => {}, onReplaced: (r) => reports.push(r), collectYoung: collect, sliceItems: 1 });
      applier.beginInstall(snapshotOf(keys, Array.from({ length: keys }, (_, i): [string, string] => [`k${i}`, `v${i}`])));
      slices.beginInstall(keys, 10);
      while (queue.length > 0) queue.shift()?.();
      expect(applier.applied).toBe(keys);
      return reports;
    };
    const n = INSTALL_SLICES_PER_COLLECTION;
    for (const keys of [1, n - 1, n, 2 * n + 3]) {
      let collected = 0;
      const [report] = run(keys, () => collected++);
      // One per full run of slices, and one at the end unless that was just collected.
      const slicesTaken = report.slices;
      expect(collected).toBe(Math.floor(slicesTaken / n) + (slicesTaken % n === 0 ? 0 : 1));
      expect(report.youngCollections).toBe(collected);
      expect(report.collectError).toBeUndefined();
    }
    const [failed] = run(n + 1, () => {
      throw new Error("collector broke (injected)");
    });
    expect(failed.youngCollections).toBe(2);
    expect(failed.collectError).toBe("collector broke (injected)");
    // Entries applied in slices (a catch-up, no install) are not collected for as an install is (nor at all without a record count).
    let collected = 0;
    const applier = applierOf(new KvStateMachine(), racingClock());
    const queue: (() => void)[] = [];
    const entries = new ApplySlices({ applier, defer: (w) => queue.push(w), guarded: (s) => (s(), true), onSlice: () => {}, onReplaced: () => {}, collectYoung: () => collected++ });
    applier.apply(Array.from({ length: 3 * n }, (_, i) => entry(i + 1, "k", `v${i}`)));
    entries.resume();
    while (queue.length > 0) queue.shift()?.();
    expect(applier.applied).toBe(3 * n);
    expect(collected).toBe(0);
  });

  test("a collection that held the loop over COLLECT_PAUSE_MS spaces the next ones out: twice the slices each time", () => {
    let now = 0;
    const at: number[] = [];
    let slicesRun = 0;
    const applier = applierOf(new SlicedKvStateMachine(1));
    const queue: (() => void)[] = [];
    const slices = new ApplySlices({
      applier,
      defer: (w) => queue.push(w),
      guarded: (s) => (s(), true),
      onSlice: () => slicesRun++,
      onReplaced: () => {},
      sliceItems: 1,
      now: () => now,
      // Every collection is slow: the loaded machine's case.
      collectYoung: () => {
        at.push(slicesRun + 1);
        now += COLLECT_PAUSE_MS + 1;
      },
    });
    const keys = 200;
    applier.beginInstall(snapshotOf(keys, Array.from({ length: keys }, (_, i): [string, string] => [`k${i}`, `v${i}`])));
    slices.beginInstall(keys, 10);
    while (queue.length > 0) queue.shift()?.();
    const n = INSTALL_SLICES_PER_COLLECTION;
    // After n slices, then 2n more, then 4n more…, and once the state is replaced.
    const expected: number[] = [];
    for (let gap = n, next = n; next < slicesRun; gap *= 2, next += gap) expected.push(next);
    expect(at).toEqual([...expected, slicesRun]);
  });

  test("applies are collected for by the records they produced: at once when a Ready's add up, never in a macrotask of its own", () => {
    let records = 0;
    let collected = 0;
    const applier = applierOf(new KvStateMachine(), racingClock());
    const queue: (() => void)[] = [];
    const slices = new ApplySlices({ ...queuedDeps(applier, queue), collectYoung: () => collected++, recordsApplied: () => records });
    // A Ready's applies that stay under the bound: nothing yet.
    records += RECORDS_PER_COLLECTION - 1;
    slices.resume();
    expect(collected).toBe(0);
    // The next Ready's record reaches it: collected within resume() itself (before the answers are built), nothing deferred.
    records += 1;
    slices.resume();
    expect(collected).toBe(1);
    expect(queue.length).toBe(0);
    // One burst of many bounds' worth is one collection, and the count starts again after it.
    records += 3 * RECORDS_PER_COLLECTION;
    slices.resume();
    expect(collected).toBe(2);
    records += RECORDS_PER_COLLECTION - 1;
    slices.resume();
    expect(collected).toBe(2);
    expect(slices.appliesReport().youngCollections).toBe(2);
    expect(slices.metrics()).toMatchObject({ yakt_apply_young_collections_total: 2 });
    // A stopped node collects no more.
    slices.stop();
    records += RECORDS_PER_COLLECTION;
    slices.resume();
    expect(collected).toBe(2);
  });

  test("entries applied in later slices (over a slice's budget) are collected for after the slice that reaches the bound", () => {
    let collected = 0;
    let slicesRun = 0;
    const at: number[] = [];
    const applier = applierOf(new KvStateMachine(), racingClock());
    const queue: (() => void)[] = [];
    const half = RECORDS_PER_COLLECTION / 2;
    const slices = new ApplySlices({
      ...queuedDeps(applier, queue),
      onSlice: () => slicesRun++,
      collectYoung: () => {
        collected++;
        at.push(applier.applied);
      },
      // Each entry produces half a bound's worth of records.
      recordsApplied: () => applier.applied * half,
    });
    applier.apply([1, 2, 3, 4, 5].map((i) => entry(i, "k", `v${i}`)));
    slices.resume();
    expect(applier.applied).toBe(1);
    while (queue.length > 0) queue.shift()?.();
    expect(applier.applied).toBe(5);
    expect(slicesRun).toBe(4);
    expect(at).toEqual([2, 4]);
  });

  test("a node that does not lead (collectsApplies false) does not collect for its applies, nor counts them for later", () => {
    let records = 0;
    let collected = 0;
    let leading = false;
    const slices = new ApplySlices({ ...queuedDeps(applierOf(new KvStateMachine()), []), collectYoung: () => collected++, recordsApplied: () => records, collectsApplies: () => leading });
    records += 10 * RECORDS_PER_COLLECTION;
    slices.resume();
    expect(collected).toBe(0);
    // Leading now: only what it applies from here on counts.
    leading = true;
    records += RECORDS_PER_COLLECTION - 1;
    slices.resume();
    expect(collected).toBe(0);
    records += 1;
    slices.resume();
    expect(collected).toBe(1);
  });

  test("no collector, or no record count: applies are not collected for", () => {
    let records = 0;
    let collected = 0;
    const deps = queuedDeps(applierOf(new KvStateMachine()), []);
    const noCount = new ApplySlices({ ...deps, collectYoung: () => collected++ });
    const noCollector = new ApplySlices({ ...deps, recordsApplied: () => records });
    records += 10 * RECORDS_PER_COLLECTION;
    noCount.resume();
    noCollector.resume();
    expect(collected).toBe(0);
    expect(noCollector.appliesReport().youngCollections).toBe(0);
  });

  test("stop drops the rest: nothing more is stepped", () => {
    const applier = applierOf(new SlicedKvStateMachine(1));
    const queue: (() => void)[] = [];
    const install = new ApplySlices({ applier, defer: (w) => queue.push(w), guarded: (s) => (s(), true), onSlice: () => {}, onReplaced: () => {} });
    applier.beginInstall(snapshotOf(3, [["a", "1"], ["b", "2"], ["c", "3"]]));
    install.beginInstall(3, 10);
    queue.shift()?.();
    install.stop();
    while (queue.length > 0) queue.shift()?.();
    expect(applier.applied).toBe(0);
    expect(applier.installingIndex).toBe(3);
  });
});

let cluster: RuntimeCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

const write = writeThroughLeader;

describe("a lagging follower installing the leader's snapshot in slices", () => {
  test("catches up while writes go on; nothing is applied before the snapshot has replaced its state", async () => {
    const machines = new Map<number, SlicedKvStateMachine>();
    const sm = (id: number) => {
      const m = new SlicedKvStateMachine(2);
      machines.set(id, m);
      return m;
    };
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 21, stateMachine: sm });
    const leader = await cluster.waitForLeader();
    const lagging = cluster.follower();
    await cluster.stopNode(lagging.id);
    for (let i = 0; i < 60; i++) await write(cluster, `k${i}`, `v${i}`);
    await leader.runtime.snapshotNow();
    expect(leader.runtime.firstIndex()).toBeGreaterThan(1);
    const back = await cluster.restartNode(lagging.id, cluster.membershipOf([1, 2, 3]));
    const follower = machines.get(lagging.id);
    if (!follower) throw new Error("no state machine for the restarted node");
    // Writes go on while the follower installs (60 keys, 2 a slice: ~30 slices).
    let last = 0;
    for (let i = 0; i < 20; i++) last = await write(cluster, `k${i}`, `again${i}`);
    await waitUntil("the follower applied every write", () => back.runtime.appliedIndex() >= last, 20_000);
    expect(follower.restores).toBeGreaterThan(0);
    expect(follower.restoreSteps).toBeGreaterThan(10);
    expect(follower.violations).toEqual([]);
    expect(back.runtime.metrics().yakt_raft_snapshots_installed_total).toBeGreaterThan(0);
    expect(back.runtime.metrics().yakt_raft_snapshot_installing).toBe(0);
    // The status shows the state machine's applied offset (the core's runs ahead during an install).
    expect(back.runtime.status().appliedOffset).toBe(back.runtime.appliedIndex());
    const leaderNow = await cluster.waitForLeader();
    await cluster.waitApplied(last);
    expect([...follower.data].sort()).toEqual([...leaderNow.sm.data].sort());
    expect(cluster.logs.some((l) => l.includes('"snapshot_install_started"'))).toBe(true);
  });
});
