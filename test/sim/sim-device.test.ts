// The simulated device under the real write planner: a torn write keeps a prefix of its entries,
// a corrupt read (of an entry, a snapshot row or a snapshot chunk) is caught by the real storage's
// checksum check unless its skipChecksums seam is on, an unflushed commit may be lost by a crash.
import { describe, expect, test } from "bun:test";
import type { Entry } from "../../src/raft/types.ts";
import { ChecksumError } from "../../src/storage/checksum.ts";
import { resolveOptions } from "../../src/storage/storage-options.ts";
import { planPersist } from "../../src/storage/write-plan.ts";
import { SimDisk, type CorruptRead } from "./sim-disk.ts";
import { EventQueue } from "./event-queue.ts";
import type { WrittenBatch } from "./safety-checker.ts";
import { SimStorage } from "./sim-storage.ts";
import { VirtualTimers } from "./virtual-timers.ts";

const noFacts: WrittenBatch = { entries: [], committed: [], term: 0 };

function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("simulated device", () => {
  const enc = new TextEncoder();
  const e = (index: number, term = 1): Entry => ({ index, term, type: "normal", data: enc.encode(`e${index}`) });
  const limits = resolveOptions();

  test("a torn write keeps a prefix of its entries and nothing of its hard state", () => {
    const d = new SimDisk(1, { forgetVote: false });
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 0 }, entries: [e(1)], snapshot: null }, limits));
    const plan = planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 1 }, entries: [e(2), e(3), e(4)], snapshot: null }, limits);
    d.tear(plan, 1);
    expect(d.lastIndex()).toBe(2);
    expect(d.hardState().commit).toBe(0);
  });

  /** SimStorage over `d`, reading back `fault` at load; no tears, never crashing. */
  function storage(d: SimDisk, fault: CorruptRead | null, skipChecksums = false): SimStorage {
    const hooks = { corruptRead: () => fault, tearPoint: () => null, written: () => noFacts, persisted: () => {}, alive: () => true, crashNow: () => {} };
    return new SimStorage(d, { clusterId: "sim", nodeId: 1, directoryId: "" }, hooks, new VirtualTimers(new EventQueue(10), "n1", 1), skipChecksums);
  }
  const membership = { voters: [1], learners: [], addresses: { 1: "a:1" } };
  const meta = { index: 2, term: 1, membership };

  test("a corrupt entry read fails the real checksum check, naming the entry; the disk itself stays intact", () => {
    const d = new SimDisk(1, { forgetVote: false });
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 2 }, entries: [e(1), e(2), e(3)], snapshot: null }, limits));
    expect(storage(d, null).load().entries.map((x) => x.data)).toEqual([e(1).data, e(2).data, e(3).data]);
    const err = catching(() => storage(d, { kind: "entry", index: 2 }).load());
    expect(err).toBeInstanceOf(ChecksumError);
    expect((err as ChecksumError).place).toEqual({ kind: "entry", index: 2 });
    expect((err as ChecksumError).code).toBe("corrupt");
    expect(storage(d, null).load().entries[1]!.data).toEqual(e(2).data);
  });

  test("a snapshot written whole: a corrupt read of its row fails the check; a clean read restores it", () => {
    const d = new SimDisk(1, { forgetVote: false });
    const data = enc.encode("whole snapshot bytes");
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 2 }, entries: [], snapshot: { meta, data } }, limits));
    expect(d.snapshotPieces()).toBe(1);
    expect(storage(d, null).load().snapshot).toEqual({ meta, data });
    const err = catching(() => storage(d, { kind: "snapshot", piece: 0 }).load()) as ChecksumError;
    expect(err.place).toEqual({ kind: "snapshot", index: 2 });
  });

  test("a snapshot written in chunks: each chunk is checked; a corrupt one is named by its place", () => {
    const d = new SimDisk(1, { forgetVote: false });
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 2 }, entries: [e(1), e(2)], snapshot: null }, limits));
    const s = storage(d, null);
    s.beginSnapshot(meta);
    for (const piece of ["ab", "cd", "ef"]) s.appendSnapshotChunk(enc.encode(piece));
    s.publishSnapshot();
    expect(d.snapshotPieces()).toBe(4);
    expect(storage(d, null).load().snapshot?.data).toEqual(enc.encode("abcdef"));
    expect(storage(d, null).latestSnapshot()?.data).toEqual(enc.encode("abcdef"));
    const err = catching(() => storage(d, { kind: "snapshot", piece: 2 }).load()) as ChecksumError;
    expect(err.place).toEqual({ kind: "snapshot chunk", index: 2, seq: 1 });
    expect(err.message).toContain("chunk 1 of the snapshot at index 2");
  });

  test("with the real skipChecksums seam on (the planted bug), the damaged bytes are loaded", () => {
    const d = new SimDisk(1, { forgetVote: false, skipChecksum: true });
    const data = enc.encode("whole snapshot bytes");
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 2 }, entries: [], snapshot: { meta, data } }, limits));
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 3 }, entries: [e(3)], snapshot: null }, limits));
    expect(storage(d, { kind: "snapshot", piece: 0 }, true).load().snapshot?.data).not.toEqual(data);
    expect(storage(d, { kind: "entry", index: 3 }, true).load().entries[0]!.data).not.toEqual(e(3).data);
  });

  test("a commit written alone is an unflushed write: a crash that loses it leaves the flushed commit", () => {
    const d = new SimDisk(1, { forgetVote: false });
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 1 }, entries: [e(1), e(2)], snapshot: null }, limits));
    d.flushedThrough(d.writesMade());
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 2 }, entries: [], snapshot: null }, limits));
    expect(d.crash(0)).toBe(1);
    expect(d.hardState().commit).toBe(1);
  });
});
