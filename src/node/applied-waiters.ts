// Callers waiting until the state machine has applied some index (read barriers, long polls,
// followers making their own writes visible). Each wait has a deadline and the count is bounded.
import { OverloadedError, invariant } from "./errors.ts";
import { realTimers, type TimerHandle, type Timers } from "./timers.ts";

interface Waiter {
  index: number;
  resolve: (applied: boolean) => void;
  timer: TimerHandle | null;
}

export class AppliedWaiters {
  private waiters: Waiter[] = [];
  /** Smallest index anyone waits for: lets notify() return at once in the common case. */
  private minIndex = Number.POSITIVE_INFINITY;

  constructor(
    private readonly maxPending: number,
    private readonly timers: Timers = realTimers,
  ) {
    invariant(maxPending > 0, () => `bad applied-waiter bound ${maxPending}`);
  }

  get size(): number {
    return this.waiters.length;
  }

  /** Resolves true once notify() reports applied ≥ index, false after timeoutMs. */
  wait(index: number, applied: number, timeoutMs: number): Promise<boolean> {
    if (applied >= index) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    if (this.waiters.length >= this.maxPending) {
      return Promise.reject(new OverloadedError(`too many waits for applied index (${this.waiters.length}, bound ${this.maxPending})`));
    }
    return new Promise((resolve) => {
      const waiter: Waiter = { index, resolve, timer: null };
      waiter.timer = this.timers.setTimeout(() => {
        this.remove(waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
      if (index < this.minIndex) this.minIndex = index;
    });
  }

  notify(applied: number): void {
    if (applied < this.minIndex) return;
    const still: Waiter[] = [];
    let min = Number.POSITIVE_INFINITY;
    for (const w of this.waiters) {
      if (w.index <= applied) {
        if (w.timer) this.timers.clearTimeout(w.timer);
        w.resolve(true);
      } else {
        still.push(w);
        if (w.index < min) min = w.index;
      }
    }
    this.waiters = still;
    this.minIndex = min;
  }

  /** Ends every wait with false (shutdown). */
  cancelAll(): void {
    for (const w of this.waiters) {
      if (w.timer) this.timers.clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters = [];
    this.minIndex = Number.POSITIVE_INFINITY;
  }

  private remove(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}
