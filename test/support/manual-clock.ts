// A Clock that only moves when the test says so: timers fire in due order inside advance(), so
// liveness and long-poll tests never depend on real time.
import type { Clock, TimerId } from "../../src/metadata/clock.ts";

interface Timer {
  id: TimerId;
  due: number;
  fn: () => void;
}

/** 2026-11-24T00:00:00.000Z: a fixed start so timestamps in tests are reproducible. */
export const MANUAL_CLOCK_START = Date.UTC(2026, 10, 24);

export class ManualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(start = MANUAL_CLOCK_START) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.nextId++;
    this.timers.push({ id, due: this.current + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Timers not yet fired. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first (ties: oldest first). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance needs a non-negative duration, got ${ms}`);
    const target = this.current + ms;
    for (;;) {
      const next = this.earliestDue(target);
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.due;
      next.fn();
    }
    this.current = target;
  }

  /** advance(ms), then let the promise callbacks the fired timers released run. */
  async advanceAndSettle(ms: number): Promise<void> {
    this.advance(ms);
    await settle();
  }

  private earliestDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.due <= limit && (best === undefined || t.due < best.due || (t.due === best.due && t.id < best.id))) best = t;
    }
    return best;
  }
}

/** Lets pending promise callbacks run; bounded number of macrotask turns, no timing. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
