// Proposers waiting for their entry to be applied. A waiter is keyed by log index and remembers the
// term its entry was appended in: when that index is applied with another term, a new leader
// overwrote the entry and the proposal is lost. Every waiter has a deadline; the count is bounded.
import { ConsensusTimeoutError } from "./contracts.ts";
import { OverloadedError, ProposalLostError, invariant } from "./errors.ts";
import { realTimers, type TimerHandle, type Timers } from "./timers.ts";

interface Waiter {
  term: number;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

export class ProposalWaiters {
  private readonly waiters = new Map<number, Waiter>();

  constructor(
    private readonly maxPending: number,
    private readonly timeoutMs: number,
    private readonly timers: Timers = realTimers,
  ) {
    invariant(maxPending > 0 && timeoutMs > 0, () => `bad proposal bounds: max ${maxPending}, timeout ${timeoutMs} ms`);
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
      const timer = this.timers.setTimeout(() => {
        this.waiters.delete(index);
        reject(new ConsensusTimeoutError(`proposal at index ${index} not applied within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiters.set(index, { term, resolve, reject, timer });
    });
  }

  /** The entry at `index` was applied with `term`; `result` is what the state machine returned. */
  applied(index: number, term: number, result: unknown, error: Error | null = null): void {
    if (this.waiters.size === 0) return;
    const waiter = this.waiters.get(index);
    if (!waiter) return;
    this.waiters.delete(index);
    this.timers.clearTimeout(waiter.timer);
    if (waiter.term !== term) waiter.reject(new ProposalLostError(index, waiter.term, term));
    else if (error) waiter.reject(error);
    else waiter.resolve(result);
  }

  /** A snapshot replaced the state up to `index`: proposals at or below it have unknown outcome. */
  lostUpTo(index: number, error: (i: number) => Error): void {
    for (const [i, waiter] of this.waiters) {
      if (i > index) continue;
      this.waiters.delete(i);
      this.timers.clearTimeout(waiter.timer);
      waiter.reject(error(i));
    }
  }

  /**
   * This node stopped leading: the entries may still commit under the new leader, or may be
   * overwritten at indexes nobody fills soon. Give every waiter at most `ms` more, then fail it.
   */
  shortenAll(ms: number, error: (index: number) => Error): void {
    for (const [index, waiter] of this.waiters) {
      this.timers.clearTimeout(waiter.timer);
      waiter.timer = this.timers.setTimeout(() => {
        if (this.waiters.get(index) !== waiter) return;
        this.waiters.delete(index);
        waiter.reject(error(index));
      }, ms);
    }
  }

  rejectAll(error: Error): void {
    for (const waiter of this.waiters.values()) {
      this.timers.clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiters.clear();
  }
}
