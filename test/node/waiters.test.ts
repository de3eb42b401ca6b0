// Unit tests of the runtime's bounded waits: proposals, applied index, read batches, leader watch.
import { describe, expect, test } from "bun:test";
import { realTimers, type TimerHandle, type Timers } from "../../src/node/timers.ts";
import { AppliedWaiters, RELEASE_SLICE } from "../../src/node/applied-waiters.ts";
import { ConsensusTimeoutError, NoLeaderError } from "../../src/node/contracts.ts";
import { OverloadedError, ProposalLostError } from "../../src/node/errors.ts";
import { LeaderWatch } from "../../src/node/leader-watch.ts";
import { ProposalWaiters } from "../../src/node/proposal-waiters.ts";
import { drawFirstReadContext, MAX_FIRST_CONTEXT, ROUND_PATIENCE_MS, ReadWaiters } from "../../src/node/read-waiters.ts";
import { seededRandom } from "../support/seeded-random.ts";

describe("ProposalWaiters", () => {
  test("resolves with the apply result when the index is applied in the proposal's term", async () => {
    const w = new ProposalWaiters(4, 5_000);
    const p = w.wait(7, 3);
    w.applied(7, 3, { ok: 1 });
    expect(await p).toEqual({ ok: 1 });
    expect(w.size).toBe(0);
  });

  test("rejects as lost when the index is applied with another term", async () => {
    const w = new ProposalWaiters(4, 5_000);
    const p = w.wait(7, 3);
    w.applied(7, 4, "other");
    await expect(p).rejects.toBeInstanceOf(ProposalLostError);
    await expect(p).rejects.toBeInstanceOf(NoLeaderError);
  });

  test("a new proposal at the same index in a later term replaces (and loses) the old one", async () => {
    const w = new ProposalWaiters(4, 5_000);
    const old = w.wait(5, 2);
    const fresh = w.wait(5, 3);
    await expect(old).rejects.toBeInstanceOf(ProposalLostError);
    w.applied(5, 3, "x");
    expect(await fresh).toBe("x");
  });

  test("times out with ConsensusTimeoutError", async () => {
    const w = new ProposalWaiters(4, 5);
    await expect(w.wait(1, 1)).rejects.toBeInstanceOf(ConsensusTimeoutError);
    expect(w.size).toBe(0);
  });

  test("is bounded", () => {
    const w = new ProposalWaiters(2, 5_000);
    w.wait(1, 1).catch(() => {});
    w.wait(2, 1).catch(() => {});
    expect(() => w.ensureCapacity()).toThrow(OverloadedError);
    w.rejectAll(new Error("end"));
    expect(w.size).toBe(0);
  });

  test("an apply error reaches the proposer; snapshots lose waiters at or below their index", async () => {
    const w = new ProposalWaiters(8, 5_000);
    const failed = w.wait(1, 1);
    const covered = w.wait(2, 1);
    const above = w.wait(9, 1);
    w.applied(1, 1, undefined, new Error("bad command"));
    await expect(failed).rejects.toThrow("bad command");
    w.lostUpTo(5, (i) => new NoLeaderError(`lost ${i}`));
    await expect(covered).rejects.toThrow("lost 2");
    expect(w.size).toBe(1);
    w.applied(9, 1, 9);
    expect(await above).toBe(9);
  });
});

describe("AppliedWaiters", () => {
  test("resolves at once when already applied, later when notified, false on timeout", async () => {
    const w = new AppliedWaiters(4);
    expect(await w.wait(3, 3, 100)).toBe(true);
    const later = w.wait(5, 3, 5_000);
    w.notify(4);
    expect(w.size).toBe(1);
    w.notify(5);
    expect(await later).toBe(true);
    expect(await w.wait(10, 5, 5)).toBe(false);
    expect(w.size).toBe(0);
  });

  test("a commit that wakes many waiters tells them a slice per macrotask, in order", async () => {
    const deferred: (() => void)[] = [];
    const w = new AppliedWaiters(1_000, { ...realTimers, defer: (work) => deferred.push(work) });
    const told: number[] = [];
    const waits = Array.from({ length: 2 * RELEASE_SLICE + 1 }, (_, i) => w.wait(5, 0, 5_000).then((ok) => ok && told.push(i)));
    w.notify(5);
    await Promise.resolve();
    expect(told.length).toBe(RELEASE_SLICE);
    expect(w.size).toBe(RELEASE_SLICE + 1); // still counted against the bound until told
    deferred.shift()?.();
    deferred.shift()?.();
    await Promise.all(waits);
    expect(told).toEqual(Array.from({ length: 2 * RELEASE_SLICE + 1 }, (_, i) => i));
    expect(deferred).toEqual([]);
    expect(w.size).toBe(0);
  });

  test("is bounded and cancellable", async () => {
    const w = new AppliedWaiters(1);
    const first = w.wait(9, 0, 5_000);
    await expect(w.wait(9, 0, 5_000)).rejects.toBeInstanceOf(OverloadedError);
    w.cancelAll();
    expect(await first).toBe(false);
  });
});

describe("ReadWaiters", () => {
  test("callers before one drain share a context; resolve once applied reaches the read index", async () => {
    const r = new ReadWaiters(8, 5_000);
    let done = 0;
    const a = r.enqueue().then(() => done++);
    const b = r.enqueue().then(() => done++);
    const ctx = r.takeOpenBatch();
    expect(ctx).not.toBeNull();
    expect(r.takeOpenBatch()).toBeNull();
    r.settle({ ctx: ctx as number, index: 10, ok: true }, 9);
    await Promise.resolve();
    expect(done).toBe(0);
    r.notify(10);
    await Promise.all([a, b]);
    expect(done).toBe(2);
    expect(r.size).toBe(0);
  });

  test("a restarted life ignores the answer to the previous life's round (sim seed 12311)", async () => {
    const random = seededRandom(12311);
    const before = new ReadWaiters(8, 5_000, realTimers, drawFirstReadContext(random));
    const lost = before.enqueue().catch((e: unknown) => e);
    const old = before.takeOpenBatch() as number;
    before.rejectAll(new Error("process crashed"));
    expect(await lost).toBeInstanceOf(Error);
    // The process restarts; the leader's answer to `old` (a read index from before a write that
    // completed since) arrives while the new life's first round is open.
    const after = new ReadWaiters(8, 5_000, realTimers, drawFirstReadContext(random));
    let served = false;
    const read = after.enqueue().then(() => (served = true));
    const ctx = after.takeOpenBatch() as number;
    expect(ctx).not.toBe(old);
    after.settle({ ctx: old, index: 61, ok: true }, 61);
    await Promise.resolve();
    expect(served).toBe(false);
    after.settle({ ctx, index: 62, ok: true }, 62);
    await read;
    expect(served).toBe(true);
  });

  test("first contexts are drawn within the u53 range, and a bad one is refused", () => {
    expect(drawFirstReadContext(() => 0)).toBe(1);
    expect(drawFirstReadContext(() => 0.999999999999)).toBeLessThanOrEqual(MAX_FIRST_CONTEXT);
    expect(() => new ReadWaiters(8, 5_000, realTimers, 0)).toThrow(/first read context/);
    expect(() => new ReadWaiters(8, 5_000, realTimers, MAX_FIRST_CONTEXT + 1)).toThrow(/first read context/);
  });

  test("a failed round is retried once, then rejected with NoLeaderError", async () => {
    const r = new ReadWaiters(8, 5_000);
    const p = r.enqueue();
    const first = r.takeOpenBatch() as number;
    r.settle({ ctx: first, index: 0, ok: false }, 0);
    expect(r.hasOpen).toBe(true);
    const second = r.takeOpenBatch() as number;
    expect(second).not.toBe(first);
    r.settle({ ctx: second, index: 0, ok: false }, 0);
    await expect(p).rejects.toBeInstanceOf(NoLeaderError);
    expect(r.size).toBe(0);
  });

  test("a round whose callers all timed out is forgotten at the next batch", async () => {
    const r = new ReadWaiters(8, 5);
    const p = r.enqueue();
    expect(r.takeOpenBatch()).not.toBeNull();
    await expect(p).rejects.toBeInstanceOf(ConsensusTimeoutError);
    expect(r.roundsInFlight).toBe(1);
    expect(r.takeOpenBatch()).toBeNull();
    expect(r.roundsInFlight).toBe(0);
  });

  test("one sweep timer keeps every caller's deadline: none expires before its timeout, each within a slice after", async () => {
    const clock = firedByHand();
    const r = new ReadWaiters(8, 80, clock); // slices of 10 ms: a caller expires at its 9th sweep
    const outcome = (p: Promise<void>) => p.then(() => "served", (e: unknown) => (e instanceof ConsensusTimeoutError ? "timed out" : `other ${e}`));
    const early = outcome(r.enqueue());
    const other = outcome(r.enqueue());
    expect(clock.armed()).toBe(1); // one timer for both
    clock.fire(3);
    const late = outcome(r.enqueue());
    expect(clock.armed()).toBe(1);
    clock.fire(5); // 8 sweeps: 80 ms since the first two arrived, maybe not yet for a caller of the first slice's end
    expect(r.size).toBe(3);
    clock.fire(1);
    expect(await early).toBe("timed out");
    expect(await other).toBe("timed out");
    expect(r.size).toBe(1);
    clock.fire(2);
    expect(r.size).toBe(1);
    clock.fire(1); // the late caller's 9th sweep
    expect(await late).toBe("timed out");
    expect(r.size).toBe(0);
    expect(clock.armed()).toBe(0); // nothing waits: no timer left running
  });

  test("a caller served before its deadline is forgotten by the next sweep, and the sweeps stop", async () => {
    const clock = firedByHand();
    const r = new ReadWaiters(8, 80, clock);
    const p = r.enqueue();
    const ctx = r.takeOpenBatch() as number;
    r.settle({ ctx, index: 3, ok: true }, 3);
    await p;
    expect(clock.armed()).toBe(1);
    clock.fire(1);
    expect(clock.armed()).toBe(0);
    const again = r.enqueue();
    expect(clock.armed()).toBe(1);
    r.rejectAll(new Error("stopped"));
    await expect(again).rejects.toThrow("stopped");
    expect(clock.armed()).toBe(0);
  });

  test("times out, is bounded, ignores unknown contexts", async () => {
    const r = new ReadWaiters(1, 5);
    const p = r.enqueue();
    await expect(r.enqueue()).rejects.toBeInstanceOf(OverloadedError);
    r.settle({ ctx: 999, index: 1, ok: true }, 1);
    await expect(p).rejects.toBeInstanceOf(ConsensusTimeoutError);
    expect(r.takeOpenBatch()).toBeNull();
  });
});

/** A clock moved by hand; timeouts are kept but never fire (the read deadlines are not under test here). */
function handClock(): Timers & { ms: number } {
  const clock = {
    ms: 1_000,
    now: () => clock.ms,
    setTimeout: (): TimerHandle => ({}),
    clearTimeout: () => {},
    defer: () => {
      throw new Error("ReadWaiters never defers");
    },
  };
  return clock;
}

describe("ReadWaiters batching while a round is out", () => {
  test("callers arriving while a round is out wait and become the next round once it is answered", async () => {
    const clock = handClock();
    const r = new ReadWaiters(64, 5_000, clock);
    let served = 0;
    const first = r.enqueue().then(() => served++);
    const ctx1 = r.takeOpenBatch() as number;
    const later = Array.from({ length: 5 }, () => r.enqueue().then(() => served++));
    expect(r.hasOpen).toBe(true);
    expect(r.roundDue).toBe(false);
    expect(r.takeOpenBatch()).toBeNull();
    expect(r.roundsInFlight).toBe(1);
    // The first round is answered: the five callers go out together as one round.
    r.settle({ ctx: ctx1, index: 3, ok: true }, 3);
    await first;
    expect(r.roundDue).toBe(true);
    const ctx2 = r.takeOpenBatch() as number;
    expect(ctx2).toBe(ctx1 + 1);
    expect(r.hasOpen).toBe(false);
    r.settle({ ctx: ctx2, index: 4, ok: true }, 4);
    await Promise.all(later);
    expect(served).toBe(6);
    expect(r.size).toBe(0);
  });

  test("a caller never joins a round taken before it arrived (the linearizability rule)", async () => {
    const clock = handClock();
    const r = new ReadWaiters(64, 5_000, clock);
    let early = false;
    let late = false;
    const a = r.enqueue().then(() => (early = true));
    const ctx1 = r.takeOpenBatch() as number;
    const b = r.enqueue().then(() => (late = true));
    r.settle({ ctx: ctx1, index: 7, ok: true }, 7);
    await a;
    await Promise.resolve();
    expect(early).toBe(true);
    expect(late).toBe(false);
    const ctx2 = r.takeOpenBatch() as number;
    r.settle({ ctx: ctx2, index: 9, ok: true }, 8);
    await Promise.resolve();
    expect(late).toBe(false);
    r.notify(9);
    await b;
    expect(late).toBe(true);
  });

  test("a round out for ROUND_PATIENCE_MS (a lost message) no longer holds the next one back", () => {
    const clock = handClock();
    const r = new ReadWaiters(64, 5_000, clock);
    void r.enqueue().catch(() => {});
    const lost = r.takeOpenBatch() as number;
    void r.enqueue().catch(() => {});
    clock.ms += ROUND_PATIENCE_MS - 1;
    expect(r.roundDue).toBe(false);
    expect(r.takeOpenBatch()).toBeNull();
    clock.ms += 1;
    expect(r.roundDue).toBe(true);
    const next = r.takeOpenBatch() as number;
    expect(next).not.toBe(lost);
    expect(r.roundsInFlight).toBe(2);
    // The newest round out is what the patience counts from.
    void r.enqueue().catch(() => {});
    expect(r.takeOpenBatch()).toBeNull();
    r.rejectAll(new Error("test over"));
  });

  test("a failed round's callers go out again at once, with callers that arrived meanwhile", async () => {
    const clock = handClock();
    const r = new ReadWaiters(64, 5_000, clock);
    const a = r.enqueue();
    const ctx1 = r.takeOpenBatch() as number;
    const b = r.enqueue();
    r.settle({ ctx: ctx1, index: 0, ok: false }, 0);
    expect(r.roundDue).toBe(true);
    const ctx2 = r.takeOpenBatch() as number;
    r.settle({ ctx: ctx2, index: 5, ok: true }, 5);
    await Promise.all([a, b]);
    expect(r.size).toBe(0);
  });
});

describe("LeaderWatch", () => {
  test("answers at once with a known leader, wakes on a leader, gives 0 on timeout", async () => {
    const w = new LeaderWatch(4);
    expect(await w.wait(2, 1_000)).toBe(2);
    const p = w.wait(0, 5_000);
    w.changed(0);
    w.changed(3);
    expect(await p).toBe(3);
    expect(await w.wait(0, 5)).toBe(0);
  });
});

describe("ProposalWaiters after a step-down", () => {
  test("shortenAll fails waiters not applied within the shorter bound, keeps the ones applied in time", async () => {
    const w = new ProposalWaiters(4, 60_000);
    const late = w.wait(3, 1);
    const inTime = w.wait(2, 1);
    w.shortenAll(5, (i) => new NoLeaderError(`lost leadership before ${i}`));
    w.applied(2, 1, "ok");
    expect(await inTime).toBe("ok");
    await expect(late).rejects.toThrow("lost leadership before 3");
    expect(w.size).toBe(0);
  });
});

/** Timers on a clock moved by hand; counts the host timers set, to show the waiters share one. */
class HandTimers implements Timers {
  at = 1_000_000;
  set = 0;
  private pending = new Map<object, { due: number; fn: () => void }>();
  now(): number {
    return this.at;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    this.set++;
    this.pending.set(handle, { due: this.at + ms, fn });
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle);
  }
  defer(fn: () => void): void {
    queueMicrotask(fn);
  }
  get armed(): number {
    return this.pending.size;
  }
  /** Moves the clock by `ms` (negative: a step back) and runs every timer due by then, earliest first. */
  advance(ms: number, monotonicMs = ms): void {
    this.at += ms;
    const until = [...this.pending.values()].reduce((t, p) => Math.min(t, p.due), Number.POSITIVE_INFINITY);
    if (until > this.at - ms + monotonicMs) return;
    for (const [handle, p] of [...this.pending].sort((a, b) => a[1].due - b[1].due)) {
      if (p.due > this.at - ms + monotonicMs) break;
      this.pending.delete(handle);
      p.fn();
    }
  }
}

describe("ProposalWaiters share one timer", () => {
  test("a stream of proposals applied in time sets one host timer, not one each, and none is left once all are applied", () => {
    const timers = new HandTimers();
    const w = new ProposalWaiters(1_000, 10_000, timers);
    const done: Promise<unknown>[] = [];
    for (let i = 1; i <= 500; i++) {
      done.push(w.wait(i, 1));
      if (i > 10) w.applied(i - 10, 1, i - 10);
      timers.advance(1);
    }
    expect(timers.set).toBe(1);
    for (let i = 491; i <= 500; i++) w.applied(i, 1, i);
    expect(timers.armed).toBe(0);
    return Promise.all(done);
  });

  test("each waiter still fails at its own deadline, in turn, with the timeout error", async () => {
    const timers = new HandTimers();
    const w = new ProposalWaiters(10, 100, timers);
    const first = w.wait(1, 1);
    timers.advance(30);
    const second = w.wait(2, 1);
    let secondFailed = false;
    second.catch(() => (secondFailed = true));
    timers.advance(70); // the first's deadline
    await expect(first).rejects.toBeInstanceOf(ConsensusTimeoutError);
    expect(secondFailed).toBe(false);
    expect(w.size).toBe(1);
    timers.advance(29);
    await Promise.resolve();
    expect(secondFailed).toBe(false);
    timers.advance(1); // the second's deadline
    await expect(second).rejects.toThrow("proposal at index 2 not applied within 100 ms");
    expect(timers.armed).toBe(0);
  });

  test("a wall clock stepped back does not stretch a wait past twice its bound", async () => {
    const timers = new HandTimers();
    const w = new ProposalWaiters(10, 100, timers);
    const p = w.wait(1, 1);
    // An hour back on the clock, while 100 ms pass for the host timer.
    timers.advance(-3_600_000, 100);
    await expect(p).rejects.toBeInstanceOf(ConsensusTimeoutError);
  });
});

/** Timers whose timeouts run only when the test fires them, in the order they were set. */
function firedByHand(): Timers & { armed(): number; fire(times: number): void } {
  let due: (() => void)[] = [];
  return {
    now: () => 0,
    setTimeout: (fn: () => void): TimerHandle => {
      due.push(fn);
      return fn;
    },
    clearTimeout: (handle: TimerHandle) => {
      due = due.filter((fn) => fn !== handle);
    },
    defer: () => {
      throw new Error("ReadWaiters never defers");
    },
    armed: () => due.length,
    fire(times: number) {
      for (let i = 0; i < times; i++) {
        const now = due;
        due = [];
        for (const fn of now) fn();
      }
    },
  };
}
