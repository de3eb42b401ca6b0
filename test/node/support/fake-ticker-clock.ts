// A TickerClock the test moves by hand: the time is set, and the interval's callback runs only
// when fired — a callback that comes late is a fire after a long advance.
import type { TickerClock } from "../../../src/node/ticker.ts";

export class FakeTickerClock implements TickerClock {
  private t = 0;
  private callback: (() => void) | null = null;

  now(): number {
    return this.t;
  }

  every(_ms: number, fn: () => void): unknown {
    if (this.callback !== null) throw new Error("fake ticker clock runs one interval at a time");
    this.callback = fn;
    return fn;
  }

  cancel(handle: unknown): void {
    if (handle === this.callback) this.callback = null;
  }

  /** Move the clock `ms` forward, then run the interval's callback once (if one is set). */
  fireAfter(ms: number): void {
    if (ms < 0) throw new RangeError(`the clock only moves forward, got ${ms} ms`);
    this.t += ms;
    this.callback?.();
  }
}
