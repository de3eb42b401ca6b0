// The interval ticker keeps ticks to wall time on an injected clock: the ticks a late callback
// missed come at the next callback, no more than the bound, and none while catch-up is refused
// (a leader, or a follower that heard its leader meanwhile). (The manual ticker and the interval's range: small-parts.test.ts.)
import { describe, expect, test } from "bun:test";
import { type CatchUp, IntervalTicker } from "../../src/node/ticker.ts";
import { FakeTickerClock } from "./support/fake-ticker-clock.ts";

/** A ticker of 10 ms on a fake clock, started with `catchUp`; counts the ticks, `each` sees each count. */
function started(catchUp?: CatchUp, each: (n: number, ticker: IntervalTicker) => void = () => {}) {
  const clock = new FakeTickerClock();
  const ticker = new IntervalTicker(10, clock);
  let n = 0;
  ticker.start(() => each(++n, ticker), catchUp);
  return { clock, ticker, ticks: () => n };
}

const always = (maxTicks: number): CatchUp => ({ allowed: () => true, maxTicks });

describe("IntervalTicker", () => {
  test("a callback on time delivers one tick", () => {
    const { clock, ticks } = started(always(10));
    for (let i = 0; i < 5; i++) clock.fireAfter(10);
    expect(ticks()).toBe(5);
  });

  test("the ticks a late callback missed come at the next callback, before its own", () => {
    const { clock, ticks } = started(always(10));
    clock.fireAfter(10);
    clock.fireAfter(73); // 83 ms: 8 ticks due; this callback ticks once and carries 6
    expect(ticks()).toBe(2);
    clock.fireAfter(10); // 93 ms: the 6 carried, then its own
    expect(ticks()).toBe(9);
  });

  test("callbacks late by a fraction keep the leftover, so ticks follow wall time over many", () => {
    const { clock, ticks } = started(always(10));
    for (let i = 0; i < 20; i++) clock.fireAfter(15);
    clock.fireAfter(10); // delivers what the last one carried
    expect(ticks()).toBe(31); // 310 ms of 10 ms ticks, though only 21 callbacks came
  });

  test("an early callback still ticks once and is not owed back later", () => {
    const { clock, ticks } = started(always(10));
    clock.fireAfter(9);
    clock.fireAfter(9);
    clock.fireAfter(12); // 30 ms in all: one tick each, none ahead of the clock to pay back
    expect(ticks()).toBe(3);
    clock.fireAfter(20);
    clock.fireAfter(10);
    expect(ticks()).toBe(6);
  });

  test("a pause longer than the bound delivers the bound and drops the rest", () => {
    const { clock, ticks } = started(always(10));
    clock.fireAfter(1_000);
    clock.fireAfter(10); // the 9 carried and its own; the other 90 ms are not owed
    expect(ticks()).toBe(11);
    clock.fireAfter(10);
    expect(ticks()).toBe(12);
  });

  test("refused catch-up (a leader) ticks once per callback and forgives the missed time", () => {
    let leader = true;
    const { clock, ticks } = started({ allowed: () => !leader, maxTicks: 10 });
    clock.fireAfter(150);
    clock.fireAfter(10);
    expect(ticks()).toBe(2);
    leader = false; // stepped down: the leader's missed time is not delivered later
    clock.fireAfter(10);
    expect(ticks()).toBe(3);
    clock.fireAfter(50);
    clock.fireAfter(10);
    expect(ticks()).toBe(9);
  });

  test("catch-up stops at the tick that made the runtime refuse it", () => {
    let seen = 0;
    const { clock, ticks } = started({ allowed: () => seen < 3, maxTicks: 10 }, (n) => (seen = n)); // leader on its 3rd tick
    clock.fireAfter(100);
    clock.fireAfter(10);
    expect(ticks()).toBe(4); // the late one's, 2 of the 9 carried, the next one's own
  });

  test("the runtime is told how many missed ticks this callback delivered already", () => {
    const asked: number[] = [];
    const { clock, ticks } = started({ allowed: (delivered) => (asked.push(delivered), delivered < 2), maxTicks: 10 });
    clock.fireAfter(60); // ticks once, carries 5
    clock.fireAfter(40); // 2 of them, then its own; carries 3 more
    expect(asked).toEqual([0, 1, 2]);
    clock.fireAfter(10); // the count starts again at each callback
    expect(asked).toEqual([0, 1, 2, 0, 1, 2]);
    expect(ticks()).toBe(7);
  });

  test("without catch-up each callback is one tick", () => {
    const { clock, ticks } = started();
    clock.fireAfter(500);
    clock.fireAfter(10);
    expect(ticks()).toBe(2);
  });

  test("stopping inside a tick ends the callback's catch-up, and no later callback ticks", () => {
    const { clock, ticks } = started(always(10), (n, ticker) => n === 3 && ticker.stop());
    clock.fireAfter(100);
    clock.fireAfter(10);
    clock.fireAfter(10);
    expect(ticks()).toBe(3);
  });

  test("bad intervals, bounds and a second start are refused", () => {
    expect(() => new IntervalTicker(1.5)).toThrow("tick interval");
    expect(() => new IntervalTicker(10, new FakeTickerClock()).start(() => {}, always(0))).toThrow("catch-up bound");
    const { ticker } = started(always(10));
    expect(() => ticker.start(() => {})).toThrow("already started");
  });
});
