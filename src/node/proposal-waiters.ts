// Proposers waiting for their entry to be applied. A waiter is keyed by log index and remembers the
// term its entry was appended in: when that index is applied with another term, a new leader
// overwrote the entry and the proposal is lost. Every waiter has a deadline; the count is bounded.
// The deadlines share one timer, armed for the earliest: a leader under load proposes thousands of
// entries a second, each applied within milliseconds, and a timer of its own per proposal (set,
// then cleared) was a host timer operation twice per write.
import { ConsensusTimeoutError } from "./contracts.ts";
import { OverloadedError, ProposalLostError, invariant } from "./errors.ts";
import { realTimers, type TimerHandle, type Timers } from "./timers.ts";

interface Waiter {
  term: number;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  /** When it fails, on the timers' clock. */
  deadline: number;
  /** Its failure then: null for the proposal timeout, else what a step-down set (shortenAll). */
  expired: ((index: number) => Error) | null;
}

export class ProposalWaiters {
  private readonly waiters = new Map<number, Waiter>();
  /** The one timer, armed for `timerAt` (no waiter's deadline is earlier), or null. */
  private timer: TimerHandle | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  /** The longest wait given to any waiter (the timeout, or a step-down's bound): see fire(). */
  private longestWaitMs: number;

  constructor(
    private readonly maxPending: number,
    private readonly timeoutMs: number,
    private readonly timers: Timers = realTimers,
  ) {
    invariant(maxPending > 0 && timeoutMs > 0, () => `bad proposal bounds: max ${maxPending}, timeout ${timeoutMs} ms`);
    this.longestWaitMs = timeoutMs;
  }

  get size(): number {
    return this.waiters.size;
  }

  /** Throws OverloadedError (nothing proposed yet) when the bound is reached. */
  ensureCapacity(): void {
    if (this.waiters.size >= this.maxPending) {
      throw new OverloadedError(`too many proposals in flight (${this.waiters.size}, bound ${this.maxPending}); retry`);
    }
  }

  wait(index: number, term: number): Promise<unknown> {
    const previous = this.waiters.get(index);
    if (previous) {
      // This node appended a new entry at the index, so its earlier entry there is gone for good.
      invariant(previous.term < term, () => `two proposals at index ${index} in term ${term}`);
      this.applied(index, term, undefined);
    }
    return new Promise((resolve, reject) => {
      const deadline = this.timers.now() + this.timeoutMs;
      this.waiters.set(index, { term, resolve, reject, deadline, expired: null });
      this.armFor(deadline);
    });
  }

  /** The entry at `index` was applied with `term`; `result` is what the state machine returned. */
  applied(index: number, term: number, result: unknown, error: Error | null = null): void {
    if (this.waiters.size === 0) return;
    const waiter = this.waiters.get(index);
    if (!waiter) return;
    this.forget(index);
    if (waiter.term !== term) waiter.reject(new ProposalLostError(index, waiter.term, term));
    else if (error) waiter.reject(error);
    else waiter.resolve(result);
  }

  /** A snapshot replaced the state up to `index`: proposals at or below it have unknown outcome. */
  lostUpTo(index: number, error: (i: number) => Error): void {
    for (const [i, waiter] of this.waiters) {
      if (i > index) continue;
      this.forget(i);
      waiter.reject(error(i));
    }
  }

  /**
   * This node stopped leading: the entries may still commit under the new leader, or may be
   * overwritten at indexes nobody fills soon. Give every waiter at most `ms` more, then fail it.
   */
  shortenAll(ms: number, error: (index: number) => Error): void {
    if (this.waiters.size === 0) return;
    const deadline = this.timers.now() + ms;
    this.longestWaitMs = Math.max(this.longestWaitMs, ms);
    for (const waiter of this.waiters.values()) {
      waiter.deadline = deadline;
      waiter.expired = error;
    }
    // Every deadline is this one now: the timer moves to it, earlier or later than it was.
    this.disarm();
    this.armFor(deadline);
  }

  rejectAll(error: Error): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    this.disarm();
    for (const waiter of all) waiter.reject(error);
  }

  /** Drops a waiter; the timer goes with the last one. */
  private forget(index: number): void {
    this.waiters.delete(index);
    if (this.waiters.size === 0) this.disarm();
  }

  /** The timer fires by `deadline` (it may already be armed earlier: the fire re-arms for the rest). */
  private armFor(deadline: number): void {
    if (deadline >= this.timerAt) return;
    this.disarm();
    this.timerAt = deadline;
    this.timer = this.timers.setTimeout(() => this.fire(), Math.max(0, deadline - this.timers.now()));
  }

  private disarm(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Fails every waiter past its deadline, in the order they were proposed, and arms the timer for
   * the next one. Deadlines are on the timers' clock (the wall clock in production): a waiter whose
   * deadline lies further ahead than any wait given can only be one the clock stepped back past,
   * and is failed too, so a step back never stretches a wait beyond twice its bound.
   */
  private fire(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.timers.now();
    const due: Array<[number, Waiter]> = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [index, waiter] of this.waiters) {
      if (waiter.deadline <= now || waiter.deadline - now > this.longestWaitMs) due.push([index, waiter]);
      else next = Math.min(next, waiter.deadline);
    }
    for (const [index] of due) this.waiters.delete(index);
    if (next !== Number.POSITIVE_INFINITY) this.armFor(next);
    for (const [index, waiter] of due) {
      waiter.reject(waiter.expired?.(index) ?? new ConsensusTimeoutError(`proposal at index ${index} not applied within ${this.timeoutMs} ms`));
    }
  }
}
