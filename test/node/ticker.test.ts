// The interval ticker keeps ticks to wall time on an injected clock: a late callback delivers the
// ticks it missed, no more than the bound, and none beyond the first while catch-up is refused
// (a leader). (The manual ticker and the interval's range: small-parts.test.ts.)
import { describe, expect, test } from "bun:test";
import { type CatchUp, IntervalTicker } from "../../src/node/ticker.ts";
import { FakeTickerClock } from "./support/fake-ticker-clock.ts";

/** A ticker of 10 ms on a fake clock, started with `catchUp`; counts the ticks delivered. */
function started(catchUp?: CatchUp): { clock: FakeTickerClock; ticker: IntervalTicker; ticks: () => number } {
  const clock = new FakeTickerClock();
  const ticker = new IntervalTicker(10, clock);
  let n = 0;
  ticker.start(() => n++, catchUp);
  return { clock, ticker, ticks: () => n };
}

const always = (maxTicks: number): CatchUp => ({ allowed: () => true, maxTicks });

describe("IntervalTicker", () => {
  test("a callback on time delivers one tick", () => {
    const { clock, ticks } = started(always(10));
    for (let i = 0; i < 5; i++) clock.fireAfter(10);
    expect(ticks()).toBe(5);
  });

  test("a late callback delivers the ticks of the wall time it missed", () => {
    const { clock, ticks } = started(always(10));
    clock.fireAfter(10);
    clock.fireAfter(73); // 83 ms: 8 ticks are due, 1 was delivered
    expect(ticks()).toBe(8);
  });

  test("callbacks late by a fraction keep the leftover, so ticks follow wall time over many", () => {
    const { clock, ticks } = started(always(10));
    for (let i = 0; i < 20; i++) clock.fireAfter(15);
    expect(ticks()).toBe(30); // 300 ms of 10 ms ticks, though only 20 callbacks came
  });

  test("an early callback still ticks once and is not owed back later", () => {
    const { clock, ticks } = started(always(10));
    clock.fireAfter(9);
    clock.fireAfter(9);
    clock.fireAfter(12); // 30 ms in all: one tick each, none ahead of the clock to pay back
    expect(ticks()).toBe(3);
    clock.fireAfter(20);
    expect(ticks()).toBe(5);
  });

  test("a pause longer than the bound delivers the bound and drops the rest", () => {
    const { clock, ticks } = started(always(10));
    clock.fireAfter(1_000);
    expect(ticks()).toBe(10);
    clock.fireAfter(10); // the 90 dropped ticks are not owed
    expect(ticks()).toBe(11);
  });

  test("refused catch-up (a leader) ticks once per callback and forgives the missed time", () => {
    let leader = true;
    const { clock, ticks } = started({ allowed: () => !leader, maxTicks: 10 });
    clock.fireAfter(150);
    expect(ticks()).toBe(1);
    leader = false; // stepped down: the leader's missed time is not delivered now
    clock.fireAfter(10);
    expect(ticks()).toBe(2);
    clock.fireAfter(50);
    expect(ticks()).toBe(7);
  });

  test("catch-up stops at the tick that made the runtime refuse it", () => {
    const clock = new FakeTickerClock();
    const ticker = new IntervalTicker(10, clock);
    let n = 0;
    ticker.start(() => n++, { allowed: () => n < 3, maxTicks: 10 }); // becomes leader on its 3rd tick
    clock.fireAfter(100);
    expect(n).toBe(3);
  });

  test("without catch-up each callback is one tick", () => {
    const { clock, ticks } = started();
    clock.fireAfter(500);
    expect(ticks()).toBe(1);
  });

  test("stopping inside a tick ends the callback's catch-up, and no later callback ticks", () => {
    const clock = new FakeTickerClock();
    const ticker = new IntervalTicker(10, clock);
    let n = 0;
    ticker.start(() => {
      if (++n === 2) ticker.stop();
    }, always(10));
    clock.fireAfter(100);
    clock.fireAfter(10);
    expect(n).toBe(2);
  });

  test("bad intervals, bounds and a second start are refused", () => {
    expect(() => new IntervalTicker(1.5)).toThrow("tick interval");
    expect(() => new IntervalTicker(10, new FakeTickerClock()).start(() => {}, always(0))).toThrow("catch-up bound");
    const { ticker } = started(always(10));
    expect(() => ticker.start(() => {})).toThrow("already started");
  });
});
