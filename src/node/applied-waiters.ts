// Callers waiting until the state machine has applied some index (read barriers, long polls,
// followers making their own writes visible). Each wait has a deadline and the count is bounded.
// Waiters are released a slice per macrotask: one commit may wake a thousand long polls, and each
// woken poll builds and writes its answer in the same microtask run, so releasing them all at
// once would hold the event loop (the Raft ticker, peer I/O) for all of that work together.
import { OverloadedError, invariant } from "./errors.ts";
import { realTimers, type TimerHandle, type Timers } from "./timers.ts";

/** Waiters released per macrotask. */
export const RELEASE_SLICE = 64;

interface Waiter {
  index: number;
  resolve: (applied: boolean) => void;
  timer: TimerHandle | null;
}

export class AppliedWaiters {
  private waiters: Waiter[] = [];
  /** Smallest index anyone waits for: lets notify() return at once in the common case. */
  private minIndex = Number.POSITIVE_INFINITY;
  /** Applied, not yet told (oldest first); counted against the bound until released. */
  private releasing: Waiter[] = [];
  private releaseScheduled = false;

  constructor(
    private readonly maxPending: number,
    private readonly timers: Timers = realTimers,
  ) {
    invariant(maxPending > 0, () => `bad applied-waiter bound ${maxPending}`);
  }

  get size(): number {
    return this.waiters.length + this.releasing.length;
  }

  /** Resolves true once notify() reports applied ≥ index, false after timeoutMs. */
  wait(index: number, applied: number, timeoutMs: number): Promise<boolean> {
    if (applied >= index) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    if (this.size >= this.maxPending) {
      return Promise.reject(new OverloadedError(`too many waits for applied index (${this.size}, bound ${this.maxPending})`));
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
        w.timer = null;
        this.releasing.push(w);
      } else {
        still.push(w);
        if (w.index < min) min = w.index;
      }
    }
    this.waiters = still;
    this.minIndex = min;
    if (!this.releaseScheduled) this.releaseSlice();
  }

  /** Tells one slice of the applied waiters; the rest wait for a later macrotask. */
  private releaseSlice(): void {
    const slice = this.releasing.splice(0, RELEASE_SLICE);
    for (const w of slice) w.resolve(true);
    this.releaseScheduled = this.releasing.length > 0;
    if (this.releaseScheduled) this.timers.defer(() => this.releaseSlice());
  }

  /** Ends every wait with false (shutdown). */
  cancelAll(): void {
    // Those already applied are told so; the scheduled slice then finds nothing left.
    for (const w of this.releasing.splice(0)) w.resolve(true);
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
