// The event-loop pause probe (src/node/loop-lag.ts) on a hand-driven clock and timer: lateness is
// measured against when its timer was due, the `_max_ms` gauge covers the window since the last
// read, the peak and the counters never reset, and a pause still going on counts when read.
import { describe, expect, test } from "bun:test";
import { LoopLagProbe } from "../../src/node/loop-lag.ts";
import type { TimerHandle } from "../../src/node/timers.ts";
import { MemoryStorage } from "../../src/storage/index.ts";
import { soloRuntime } from "./support/solo-runtime.ts";

/** One timer slot the test fires by hand, at a clock reading it chooses. */
class HandTimer {
  now = 1_000;
  armed: { fn: () => void; ms: number; handle: TimerHandle } | null = null;
  cleared = 0;

  readonly timers = {
    setTimeout: (fn: () => void, ms: number): TimerHandle => {
      expect(this.armed).toBeNull(); // the probe keeps at most one timer
      const handle = {};
      this.armed = { fn, ms, handle };
      return handle;
    },
    clearTimeout: (handle: TimerHandle) => {
      if (this.armed?.handle === handle) {
        this.armed = null;
        this.cleared++;
      }
    },
  };

  /** Fires the armed timer `lateMs` after it was due. */
  fire(lateMs: number): void {
    const armed = this.armed;
    if (armed === null) throw new Error("no timer armed");
    this.armed = null;
    this.now += armed.ms + lateMs;
    armed.fn();
  }
}

function probe(hand: HandTimer, intervalMs = 5): LoopLagProbe {
  return new LoopLagProbe({ intervalMs, now: () => hand.now, timers: hand.timers });
}

describe("event-loop pause probe", () => {
  test("a timer on time shows no pause; a late one shows its lateness, counted by threshold", () => {
    const hand = new HandTimer();
    const p = probe(hand);
    p.start();
    expect(hand.armed?.ms).toBe(5);
    hand.fire(0);
    hand.fire(1.24);
    expect(p.metrics()).toMatchObject({ yakt_event_loop_lag_max_ms: 1.2, yakt_event_loop_lag_samples_total: 2, yakt_event_loop_pauses_over_20ms_total: 0 });
    hand.fire(35);
    hand.fire(150);
    hand.fire(20); // not over 20
    const m = p.metrics();
    expect(m.yakt_event_loop_lag_max_ms).toBe(150);
    expect(m.yakt_event_loop_pauses_over_20ms_total).toBe(2);
    expect(m.yakt_event_loop_pauses_over_100ms_total).toBe(1);
    expect(m.yakt_event_loop_pauses_over_1000ms_total).toBe(0);
  });

  test("reading starts a new window for the max; the peak and the counters stay", () => {
    const hand = new HandTimer();
    const p = probe(hand);
    p.start();
    hand.fire(60);
    expect(p.metrics().yakt_event_loop_lag_max_ms).toBe(60);
    hand.fire(3);
    const m = p.metrics();
    expect(m.yakt_event_loop_lag_max_ms).toBe(3);
    expect(m.yakt_event_loop_lag_peak_ms).toBe(60);
    expect(m.yakt_event_loop_pauses_over_20ms_total).toBe(1);
  });

  test("a pause still going on when read counts in the window (the timer is overdue)", () => {
    const hand = new HandTimer();
    const p = probe(hand);
    p.start();
    hand.now += 5 + 42; // due 42 ms ago, not fired yet: the loop is held right now
    expect(p.metrics().yakt_event_loop_lag_max_ms).toBe(42);
  });

  test("stop clears its timer and start arms one again; neither twice", () => {
    const hand = new HandTimer();
    const p = probe(hand);
    p.start();
    p.start();
    expect(p.running).toBe(true);
    p.stop();
    p.stop();
    expect(hand.cleared).toBe(1);
    expect(hand.armed).toBeNull();
    expect(p.running).toBe(false);
    expect(p.metrics().yakt_event_loop_lag_max_ms).toBe(0); // stopped: nothing overdue counts
    p.start();
    expect(hand.armed).not.toBeNull();
  });

  test("an interval that is not a positive number is refused", () => {
    for (const intervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new LoopLagProbe({ intervalMs })).toThrow("positive number of ms");
    }
  });

  test("on the host's timers it sees a loop held by a synchronous step", async () => {
    const p = new LoopLagProbe({ intervalMs: 1 });
    p.start();
    try {
      await Bun.sleep(5);
      p.metrics();
      const until = performance.now() + 40;
      while (performance.now() < until) {
        // hold the loop 40 ms
      }
      await Bun.sleep(5);
      expect(p.metrics().yakt_event_loop_lag_max_ms).toBeGreaterThanOrEqual(30);
    } finally {
      p.stop();
    }
  });
});

describe("the runtime and its probe", () => {
  test("shows the probe's gauges in its metrics and stops it when it stops", async () => {
    const hand = new HandTimer();
    const lag = probe(hand);
    const runtime = soloRuntime(new MemoryStorage(), { loopLag: lag });
    await runtime.start();
    lag.start(); // as the node's start-up does once it serves
    try {
      hand.fire(25);
      const m = runtime.metrics();
      expect(m.yakt_event_loop_lag_max_ms).toBe(25);
      expect(m.yakt_event_loop_pauses_over_20ms_total).toBe(1);
    } finally {
      await runtime.stop();
    }
    expect(lag.running).toBe(false);
  });
});
