// The write pipeline: Readys complete strictly in order and only once a flush that started after
// their write has answered; writes made during a flush share the next one, and so does the write
// the runtime makes right after a completion; a failed flush completes nothing more; a stop drops
// what is in flight.
import { describe, expect, test } from "bun:test";
import { MAX_READYS_IN_FLIGHT, WritePipeline } from "../../src/node/write-pipeline.ts";
import type { Entry, Ready } from "../../src/raft/types.ts";
import type { PersistBatch } from "../../src/storage/log-storage.ts";

/** A device whose flushes answer only when the test says so. */
class ManualDevice {
  writes: PersistBatch[] = [];
  flushes: Array<(error: Error | null) => void> = [];
  write(batch: PersistBatch): boolean {
    this.writes.push(batch);
    return batch.entries.length > 0 || batch.snapshot !== null || (batch.hardState?.vote ?? 0) > 0;
  }
  flush(done: (error: Error | null) => void): void {
    this.flushes.push(done);
  }
  answer(error: Error | null = null): void {
    const done = this.flushes.shift();
    if (done === undefined) throw new Error("no flush in flight");
    done(error);
  }
}

const entry = (index: number): Entry => ({ index, term: 1, type: "normal", data: new Uint8Array([index]) });

function ready(entries: Entry[], vote = 0): Ready {
  return {
    softState: null,
    hardState: entries.length > 0 || vote > 0 ? { term: 1, vote, commit: 0 } : null,
    entries,
    snapshot: null,
    committed: [],
    messages: [],
    readStates: [],
  };
}

function pipeline() {
  const device = new ManualDevice();
  const completed: Ready[] = [];
  const failures: Error[] = [];
  let running = true;
  const counted = { flushes: 0 };
  /** Work the pipeline deferred to a later macrotask, run when the test says (runDeferred). */
  const deferred: Array<() => void> = [];
  const runDeferred = () => {
    for (let fn = deferred.shift(); fn !== undefined; fn = deferred.shift()) fn();
  };
  const p = new WritePipeline({
    storage: device,
    complete: ({ rd }) => completed.push(rd),
    failed: (e) => {
      failures.push(e);
      running = false;
    },
    running: () => running,
    now: () => 0,
    flushStarted: () => counted.flushes++,
    defer: (fn) => deferred.push(fn),
  });
  return { p, device, completed, failures, counted, deferred, runDeferred, stop: () => (running = false) };
}

describe("WritePipeline", () => {
  test("a Ready completes only after a flush covering its write; in order; later writes share the next flush", () => {
    const { p, device, completed, counted, runDeferred } = pipeline();
    const a = ready([entry(1)]);
    p.submit(a, []);
    expect(device.flushes).toHaveLength(1); // nothing in flight: flushed at once
    expect(completed).toEqual([]);
    const b = ready([entry(2)]);
    const c = ready([entry(3)]);
    p.submit(b, []);
    p.submit(c, []);
    expect(p.backlogged).toBe(true);
    expect(device.flushes).toHaveLength(1); // one flush at a time
    device.answer();
    expect(completed).toEqual([a]);
    expect(device.flushes).toHaveLength(0); // the next flush waits a macrotask
    runDeferred();
    expect(device.flushes).toHaveLength(1); // and covers b and c together
    device.answer();
    expect(completed).toEqual([a, b, c]);
    expect(p.inFlight).toBe(0);
    expect(counted.flushes).toBe(2); // three Readys, two fsyncs (what yakt_raft_flushes_total counts)
  });

  test("the Ready written in the turn a completion defers to shares the flush of the Readys before it", () => {
    const { p, device, completed, counted, deferred, runDeferred } = pipeline();
    const a = ready([entry(1)]);
    const b = ready([entry(2)]);
    p.submit(a, []);
    p.submit(b, []);
    device.answer();
    expect(completed).toEqual([a]);
    expect(device.flushes).toHaveLength(0);
    expect(p.backlogged).toBe(false); // the runtime may take its next Ready now
    const c = ready([entry(3)]);
    p.submit(c, []); // what the runtime's drain does in the macrotask before the deferred start
    expect(device.flushes).toHaveLength(1); // that write starts the flush, covering b and c
    runDeferred(); // the deferred start finds that flush in flight: no second one
    expect(device.flushes).toHaveLength(1);
    device.answer();
    expect(completed).toEqual([a, b, c]);
    expect(counted.flushes).toBe(2);
    // Nothing left to flush after a completion: nothing is deferred either.
    p.submit(ready([entry(4)]), []);
    device.answer();
    expect(deferred).toHaveLength(0);
    expect(p.inFlight).toBe(0);
  });

  test("a deferred flush start is dropped once the node stopped", () => {
    const { p, device, completed, stop, runDeferred } = pipeline();
    p.submit(ready([entry(1)]), []);
    p.submit(ready([entry(2)]), []);
    device.answer();
    expect(completed).toHaveLength(1);
    stop();
    runDeferred();
    expect(device.flushes).toHaveLength(0);
  });

  test("a Ready that needs no flush still waits behind the ones before it", () => {
    const { p, device, completed } = pipeline();
    const a = ready([entry(1)]);
    const messagesOnly = ready([]);
    p.submit(a, []);
    p.submit(messagesOnly, []);
    expect(completed).toEqual([]);
    device.answer();
    expect(completed).toEqual([a, messagesOnly]);
    const alone = ready([]);
    p.submit(alone, []);
    expect(completed).toEqual([a, messagesOnly, alone]); // nothing before it: at once
    expect(device.flushes).toHaveLength(0);
  });

  test("a failed flush completes nothing and reports the error; a stopped node completes nothing", () => {
    const failing = pipeline();
    failing.p.submit(ready([entry(1)]), []);
    failing.device.answer(new Error("EIO"));
    expect(failing.completed).toEqual([]);
    expect(failing.failures.map((e) => e.message)).toEqual(["EIO"]);

    const stopped = pipeline();
    stopped.p.submit(ready([entry(1)]), []);
    stopped.stop();
    stopped.device.answer();
    expect(stopped.completed).toEqual([]);
  });

  test("the pipeline is bounded: a Ready past the bound is refused, not queued", () => {
    const { p } = pipeline();
    for (let i = 1; i <= MAX_READYS_IN_FLIGHT; i++) p.submit(ready([entry(i)]), []);
    expect(p.hasRoom).toBe(false);
    expect(() => p.submit(ready([entry(99)]), [])).toThrow("write pipeline full");
  });
});
