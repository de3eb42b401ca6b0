// The Snapshotter on real parts, its slices run by hand: a snapshot is the state at its captured
// index whatever is applied meanwhile; one overtaken by a leader's snapshot or by stop() writes
// nothing; on-demand requests join the snapshot in progress.
import { describe, expect, test } from "bun:test";
import type { Command } from "../../src/metadata/commands.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { encodeCommand } from "../../src/metadata/commands.ts";
import { NodeStoppedError, SnapshotError } from "../../src/node/errors.ts";
import { SLICES_PER_COLLECTION } from "../../src/node/snapshotter.ts";
import { createPartition, createTopic, registerBroker, registerProducer } from "../metadata/fixtures.ts";
import { MEMBERSHIP, SnapshotHarness } from "./support/snapshot-harness.ts";

/** Commands that keep every one of the image's maps busy. */
function commands(from: number, count: number): Command[] {
  const out: Command[] = [];
  for (let i = from; i < from + count; i++) {
    if (i % 4 === 0) out.push(registerBroker(1 + (i % 3)));
    else if (i % 4 === 1) out.push(createTopic(`topic-${i}`, 2, 1));
    else if (i % 4 === 2) out.push(createPartition(`topic-${i - 1}`, 5, [1]));
    else out.push(registerProducer(1));
  }
  return out;
}

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

/** A snapshot of 8 entries whose publish fails (disk full, injected), run to its end: what its caller got. */
function failedPublish(h: SnapshotHarness): Promise<unknown> {
  h.feed(commands(0, 8));
  const outcome = h.snapshotter.snapshotNow(h.raft).catch((e: unknown) => e);
  h.storage.publishSnapshot = () => {
    throw new Error("disk full (injected)");
  };
  h.runAll();
  return outcome;
}

/** A state machine fed the same commands, for the expected bytes. */
function replayed(cmds: readonly Command[]): MetadataStateMachine {
  const sm = new MetadataStateMachine();
  cmds.forEach((c, i) => sm.apply(i + 1, encodeCommand(c)));
  return sm;
}

describe("snapshotter", () => {
  test("a periodic snapshot is encoded over many slices, then stored and compacted", () => {
    const h = new SnapshotHarness({ everyEntries: 10 });
    h.feed(commands(0, 20));
    h.snapshotter.maybeSnapshot(h.raft);
    expect(h.snapshotter.inProgress).toBe(true);
    expect(h.storage.listSnapshots()).toEqual([]);
    expect(h.runAll()).toBeGreaterThan(20);
    expect(h.snapshotter.inProgress).toBe(false);
    expect(h.storage.listSnapshots().map((s) => s.index)).toEqual([20]);
    expect(h.compacted.map((m) => m.index)).toEqual([20]);
    expect(text(h.storage.latestSnapshot()?.data)).toBe(text(h.sm.snapshot()));
    expect(h.events("snapshot_taken")[0]).toMatchObject({ reason: "periodic", index: 20 });
  });

  test("the young generation is collected every SLICES_PER_COLLECTION slices and once the snapshot is over; the log line counts them", () => {
    let collected = 0;
    const h = new SnapshotHarness({ everyEntries: 1_000, collectYoung: () => collected++ });
    // ~6 slices a command at a budget of one item: enough for a few collections.
    const count = SLICES_PER_COLLECTION / 2;
    h.feed(commands(0, count));
    h.snapshotter.snapshotNow(h.raft);
    const slices = h.runAll();
    expect(slices).toBeGreaterThan(2 * SLICES_PER_COLLECTION);
    const [taken] = h.events("snapshot_taken");
    // The log's slices are the job's (the sweep after it runs in deferred steps of its own).
    const jobSlices = taken.slices as number;
    expect(collected).toBe(Math.floor(jobSlices / SLICES_PER_COLLECTION) + (jobSlices % SLICES_PER_COLLECTION === 0 ? 0 : 1));
    expect(taken).toMatchObject({ youngCollections: collected, index: count });
    expect(taken.collectError).toBeUndefined();
    expect(text(h.storage.latestSnapshot()?.data)).toBe(text(h.sm.snapshot()));
  });

  test("a collector that throws stops no snapshot: stored whole, the failure in its log line", async () => {
    const h = new SnapshotHarness({
      everyEntries: 1_000,
      collectYoung: () => {
        throw new Error("collector broke (injected)");
      },
    });
    h.feed(commands(0, 12));
    const taking = h.snapshotter.snapshotNow(h.raft);
    h.runAll();
    expect((await taking).index).toBe(12);
    expect(h.compacted.map((m) => m.index)).toEqual([12]);
    expect(h.events("snapshot_taken")[0]).toMatchObject({ index: 12, collectError: "collector broke (injected)" });
  });

  test("a few entries that produce many records are snapshotted by their records, counted from the last snapshot's capture", () => {
    const h = new SnapshotHarness({ everyRecords: 100 }); // node 1: 137 records
    h.feed([registerBroker(1), createTopic("wide-a", 60, 1)]); // 1 + 61 records
    h.snapshotter.maybeSnapshot(h.raft);
    expect(h.snapshotter.inProgress).toBe(false);
    h.feed([createTopic("wide-b", 80, 1)]); // 81 more: 143 since the start
    expect(h.sm.recordsApplied()).toBe(143);
    h.snapshotter.maybeSnapshot(h.raft);
    expect(h.snapshotter.inProgress).toBe(true);
    h.feed([createTopic("wide-c", 130, 1)]); // applied while encoding: 131 records after the capture
    h.runAll();
    expect(h.storage.listSnapshots().map((s) => s.index)).toEqual([3]);
    h.snapshotter.maybeSnapshot(h.raft);
    expect(h.snapshotter.inProgress).toBe(false); // 131 since the captured state: not yet
    h.feed([createTopic("wide-d", 5, 1)]); // 137
    h.snapshotter.maybeSnapshot(h.raft);
    expect(h.snapshotter.inProgress).toBe(true);
    h.runAll();
    expect(h.storage.listSnapshots()[0]?.index).toBe(5);
  });

  test("entries applied while encoding do not show: the stored snapshot is the state at its index", async () => {
    const h = new SnapshotHarness();
    const all = commands(0, 60);
    h.feed(all.slice(0, 30));
    const done = h.snapshotter.snapshotNow(h.raft);
    let next = 30;
    while (h.runOne()) if (next < all.length) h.feed(all.slice(next, ++next));
    expect(next).toBe(all.length); // the encoding outlasted the applies
    const stored = h.storage.latestSnapshot();
    expect(stored?.meta).toEqual({ index: 30, term: 1, membership: MEMBERSHIP });
    expect(await done).toEqual({ index: 30, term: 1, membership: MEMBERSHIP });
    const fresh = new MetadataStateMachine();
    fresh.restore(30, stored?.data ?? new Uint8Array());
    expect(text(fresh.snapshot())).toBe(text(replayed(all.slice(0, 30)).snapshot()));
    expect(h.sm.appliedIndex()).toBe(60);
  });

  test("a leader's snapshot installed meanwhile: the local one is dropped, nothing written or compacted", async () => {
    const h = new SnapshotHarness();
    const all = commands(0, 40);
    h.feed(all.slice(0, 20));
    const done = h.snapshotter.snapshotNow(h.raft);
    for (let i = 0; i < 5; i++) h.runOne();
    const leader = replayed(all);
    h.install({ meta: { index: 40, term: 1, membership: MEMBERSHIP }, data: leader.snapshot() });
    h.runAll();
    expect(await done).toEqual({ index: 40, term: 1, membership: MEMBERSHIP });
    expect(h.storage.listSnapshots().map((s) => s.index)).toEqual([40]);
    expect(h.compacted).toEqual([]);
    expect(text(h.sm.snapshot())).toBe(text(leader.snapshot()));
    expect(h.storage.load().entries).toEqual([]);
    expect(h.events("snapshot_abandoned")[0]).toMatchObject({ index: 20, why: "a snapshot from the leader was installed meanwhile" });
    // The next snapshot starts from the installed state.
    h.feed(commands(40, 4));
    expect((await Promise.all([h.snapshotter.snapshotNow(h.raft), Promise.resolve(h.runAll())]))[0].index).toBe(44);
  });

  test("a leader's snapshot installed while storing: the pending one is dropped, the installed one stays", async () => {
    const h = new SnapshotHarness({ sliceItems: 1_000_000 });
    const all = commands(0, 30);
    h.feed(all.slice(0, 10));
    const done = h.snapshotter.snapshotNow(h.raft);
    h.runOne(); // encoded in one slice; the pending snapshot is begun
    const leader = replayed(all);
    h.install({ meta: { index: 30, term: 1, membership: MEMBERSHIP }, data: leader.snapshot() });
    h.runAll();
    expect((await done).index).toBe(30);
    expect(h.storage.listSnapshots().map((s) => s.index)).toEqual([30]);
    expect(() => h.storage.publishSnapshot()).toThrow("no snapshot is being written");
    expect(h.compacted).toEqual([]);
  });

  test("on-demand requests during a periodic snapshot join it: one snapshot, every caller told", async () => {
    const h = new SnapshotHarness({ everyEntries: 5 });
    h.feed(commands(0, 10));
    h.snapshotter.maybeSnapshot(h.raft);
    h.runOne();
    const a = h.snapshotter.snapshotNow(h.raft);
    h.feed(commands(10, 3));
    const b = h.snapshotter.snapshotNow(h.raft);
    h.runAll();
    expect((await a).index).toBe(10);
    expect((await b).index).toBe(10);
    expect(h.storage.listSnapshots().map((s) => s.index)).toEqual([10]);
    expect(h.events("snapshot_taken").map((e) => e.reason)).toEqual(["periodic"]);
  });

  test("stop during encoding: callers told the node stopped, nothing written, later slices harmless", async () => {
    const h = new SnapshotHarness();
    h.feed(commands(0, 20));
    const outcome = h.snapshotter.snapshotNow(h.raft).catch((e: unknown) => e);
    h.runOne();
    h.snapshotter.stop();
    h.storage.close();
    expect(() => h.runAll()).not.toThrow();
    expect(await outcome).toBeInstanceOf(NodeStoppedError);
    expect(h.compacted).toEqual([]);
    expect(h.snapshotter.inProgress).toBe(false);
    await expect(h.snapshotter.snapshotNow(h.raft)).rejects.toBeInstanceOf(NodeStoppedError);
    expect(h.events("snapshot_abandoned")[0]).toMatchObject({ index: 20, why: "node stopped" });
  });

  test("nothing applied: refused with a SnapshotError and no slice scheduled", async () => {
    const h = new SnapshotHarness();
    await expect(h.snapshotter.snapshotNow(h.raft)).rejects.toBeInstanceOf(SnapshotError);
    expect(h.pending).toBe(0);
  });

  test("a storage failure rejects the callers, logs it, and leaves the next snapshot free to run", async () => {
    const h = new SnapshotHarness();
    const outcome = failedPublish(h);
    expect(await outcome).toBeInstanceOf(SnapshotError);
    expect(String(await outcome)).toContain("disk full (injected)");
    expect(h.compacted).toEqual([]);
    expect(h.snapshotter.inProgress).toBe(false);
    expect(h.events("snapshot_failed")).toHaveLength(1);
  });
});

/** Records the pieces the harness's state machine hands over to the snapshotter (SnapshotEncoding.stepPieces). */
function handedOver(h: SnapshotHarness): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  const begin = h.sm.beginSnapshot.bind(h.sm);
  h.sm.beginSnapshot = () => {
    const encoding = begin();
    const stepPieces = encoding.stepPieces?.bind(encoding);
    if (stepPieces === undefined) throw new Error("the metadata encoding hands over no pieces");
    encoding.stepPieces = (items: number) => {
      const out = stepPieces(items);
      if (out !== null && pieces.length === 0) pieces.push(...out);
      return out;
    };
    return encoding;
  };
  return pieces;
}

const freed = (pieces: readonly Uint8Array[]) => pieces.every((p) => (p.buffer as ArrayBuffer).detached);

describe("snapshotter: the encoded pieces are stored as they are and freed", () => {
  test("stored: every piece freed once copied; the stored snapshot, the compaction and the log line are whole", async () => {
    const h = new SnapshotHarness({ sliceItems: 64 });
    const pieces = handedOver(h);
    h.feed(commands(0, 30));
    const done = h.snapshotter.snapshotNow(h.raft);
    h.runAll();
    expect((await done).index).toBe(30);
    expect(pieces.length).toBeGreaterThan(1);
    expect(freed(pieces)).toBe(true);
    const stored = h.storage.latestSnapshot();
    expect(text(stored?.data)).toBe(text(h.sm.snapshot()));
    expect(h.events("snapshot_taken")[0]?.bytes).toBe(stored?.data.byteLength);
    expect(h.compacted.map((m) => m.index)).toEqual([30]);
  });

  test("dropped because a leader's snapshot was installed while storing: freed too, nothing of it stored", async () => {
    const h = new SnapshotHarness({ sliceItems: 1_000_000 });
    const pieces = handedOver(h);
    const all = commands(0, 30);
    h.feed(all.slice(0, 10));
    const done = h.snapshotter.snapshotNow(h.raft);
    h.runOne(); // encoded in one slice
    expect(freed(pieces)).toBe(false);
    h.install({ meta: { index: 30, term: 1, membership: MEMBERSHIP }, data: replayed(all).snapshot() });
    h.runAll();
    expect((await done).index).toBe(30);
    expect(freed(pieces)).toBe(true);
    expect(h.storage.listSnapshots().map((s) => s.index)).toEqual([30]);
  });

  test("failed in the store, or stopped while storing: what was left is freed", async () => {
    const failing = new SnapshotHarness({ sliceItems: 1_000_000 });
    const failedPieces = handedOver(failing);
    expect(await failedPublish(failing)).toBeInstanceOf(SnapshotError);
    expect(freed(failedPieces)).toBe(true);

    const stopped = new SnapshotHarness({ sliceItems: 1_000_000 });
    const stoppedPieces = handedOver(stopped);
    stopped.feed(commands(0, 8));
    const stopOutcome = stopped.snapshotter.snapshotNow(stopped.raft).catch((e: unknown) => e);
    stopped.runOne(); // encoded; storing begins
    stopped.snapshotter.stop();
    stopped.runAll();
    expect(await stopOutcome).toBeInstanceOf(NodeStoppedError);
    expect(freed(stoppedPieces)).toBe(true);
  });

  test("a state machine without beginSnapshot: the buffer its snapshot() returns (and may keep) is stored, never freed", async () => {
    const h = new SnapshotHarness();
    const encode = h.sm.beginSnapshot.bind(h.sm);
    let kept: Uint8Array = new Uint8Array();
    h.sm.snapshot = () => (kept = encode().step(Number.MAX_SAFE_INTEGER) ?? new Uint8Array());
    (h.sm as { beginSnapshot?: unknown }).beginSnapshot = undefined;
    h.feed(commands(0, 12));
    const done = h.snapshotter.snapshotNow(h.raft);
    h.runAll();
    expect((await done).index).toBe(12);
    expect(kept.byteLength).toBeGreaterThan(0);
    expect(text(h.storage.latestSnapshot()?.data)).toBe(text(kept));
  });
});
