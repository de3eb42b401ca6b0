// SimStorage's flush: it answers later, on the process's virtual timers after the device's
// latency; only then are the writes it covers durable and reported (once per batch, in order);
// a write made while it is in flight waits for the next one; a paused process hears back when it
// resumes, a dead one never.
import { describe, expect, test } from "bun:test";
import type { Entry } from "../../src/raft/types.ts";
import type { PersistBatch } from "../../src/storage/log-storage.ts";
import { EventQueue } from "./event-queue.ts";
import { Prng } from "./prng.ts";
import type { WrittenBatch } from "./safety-checker.ts";
import { SimDisk } from "./sim-disk.ts";
import { SimCrash, SimStorage } from "./sim-storage.ts";
import { VirtualTimers } from "./virtual-timers.ts";

const enc = new TextEncoder();
const e = (index: number): Entry => ({ index, term: 1, type: "normal", data: enc.encode(`e${index}`) });
const batch = (index: number, commit = 0): PersistBatch => ({ hardState: { term: 1, vote: 1, commit }, entries: [e(index)], snapshot: null });

/** A node's storage on virtual time, recording which batches were reported durable. */
function rig(seed = 1) {
  const queue = new EventQueue(100);
  const timers = new VirtualTimers(queue, "n1", 1);
  const disk = new SimDisk(1, { forgetVote: false }, new Prng(seed));
  const durable: number[] = [];
  let alive = true;
  const facts = (b: PersistBatch): WrittenBatch => ({ entries: [], committed: [], term: b.hardState?.term ?? 0 });
  const hooks = {
    corruptRead: () => null,
    tearPoint: () => null,
    written: facts,
    persisted: (b: PersistBatch) => durable.push(b.entries[0]!.index),
    alive: () => alive,
    crashNow: () => {},
  };
  const storage = new SimStorage(disk, { clusterId: "sim", nodeId: 1, directoryId: "d1" }, hooks, timers, false);
  const crash = () => {
    alive = false;
    timers.kill();
    return disk.crash(0);
  };
  /** Runs every due event (nothing else schedules any). */
  const drain = () => {
    while (queue.runNext(Infinity) !== null);
  };
  return { queue, timers, disk, storage, durable, crash, drain };
}

describe("SimStorage flush", () => {
  test("done comes later, through the timers; the batches it covers are reported durable then, in order", () => {
    const r = rig();
    expect(r.storage.write(batch(1))).toBe(true);
    expect(r.storage.write(batch(2))).toBe(true);
    let answered = 0;
    r.storage.flush((err) => {
      expect(err).toBeNull();
      answered++;
    });
    expect([answered, r.durable.length, r.queue.size()]).toEqual([0, 0, 1]);
    r.drain();
    expect(answered).toBe(1);
    expect(r.durable).toEqual([1, 2]);
    expect(r.queue.now()).toBeGreaterThan(0);
    expect(r.crash()).toBe(0); // flushed: a power loss keeps it all
    expect(r.disk.lastIndex()).toBe(2);
  });

  test("a write made while a flush is in flight waits for the next flush", () => {
    const r = rig();
    r.storage.write(batch(1));
    r.storage.flush(() => {});
    r.storage.write(batch(2));
    expect(() => r.storage.flush(() => {})).toThrow("in flight");
    r.drain();
    expect(r.durable).toEqual([1]);
    r.storage.flush(() => {});
    r.drain();
    expect(r.durable).toEqual([1, 2]);
  });

  test("a crash before the flush finishes: done is never called and the crash may lose the writes", () => {
    const r = rig();
    r.storage.write(batch(1));
    let answered = false;
    r.storage.flush(() => (answered = true));
    expect(r.crash()).toBe(1);
    r.drain();
    expect(answered).toBe(false);
    expect(r.durable).toEqual([]);
    expect(r.disk.lastIndex()).toBe(0);
    expect(() => r.storage.write(batch(1))).toThrow(SimCrash);
  });

  test("a paused process hears back when it resumes", () => {
    const r = rig();
    r.storage.write(batch(1));
    let answered = false;
    r.storage.flush(() => (answered = true));
    r.timers.pause();
    r.drain();
    expect(answered).toBe(false);
    r.timers.resume();
    expect(answered).toBe(true);
    expect(r.durable).toEqual([1]);
  });

  test("persist() is durable when it returns, with every write before it; a commit written alone needs no flush", () => {
    const r = rig();
    r.storage.write(batch(1));
    r.storage.persist(batch(2));
    expect(r.durable).toEqual([1, 2]);
    expect(r.storage.write({ hardState: { term: 1, vote: 1, commit: 2 }, entries: [], snapshot: null })).toBe(false);
    expect(r.crash()).toBe(1); // the commit alone was unflushed
    expect(r.disk.hardState().commit).toBe(0);
  });

  test("flush latency follows the device's seed: the same seed answers at the same virtual times", () => {
    const times = (seed: number) => {
      const r = rig(seed);
      const at: number[] = [];
      for (let i = 1; i <= 20; i++) {
        r.storage.write(batch(i));
        r.storage.flush(() => at.push(r.queue.now()));
        r.drain();
      }
      return at;
    };
    expect(times(5)).toEqual(times(5));
    expect(times(5)).not.toEqual(times(6));
  });
});
