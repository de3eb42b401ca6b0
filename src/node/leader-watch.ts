// Callers waiting until some leader is known (forwarding while an election runs). Bounded count,
// bounded wait: resolves with the leader id, or 0 when none appeared in time.
import type { NodeId } from "../raft/types.ts";
import { OverloadedError, invariant } from "./errors.ts";
import { realTimers, type TimerHandle, type Timers } from "./timers.ts";

interface Waiter {
  resolve: (leader: NodeId) => void;
  timer: TimerHandle;
}

export class LeaderWatch {
  private waiters: Waiter[] = [];

  constructor(
    private readonly maxPending: number,
    private readonly timers: Timers = realTimers,
  ) {
    invariant(maxPending > 0, () => `bad leader-wait bound ${maxPending}`);
  }

  wait(current: NodeId, timeoutMs: number): Promise<NodeId> {
    if (current !== 0 || timeoutMs <= 0) return Promise.resolve(current);
    if (this.waiters.length >= this.maxPending) {
      return Promise.reject(new OverloadedError(`too many callers waiting for a leader (${this.waiters.length}, bound ${this.maxPending})`));
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: this.timers.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(0);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** The known leader changed; wake everyone once a leader exists (0 = still none). */
  changed(leader: NodeId): void {
    if (leader === 0 || this.waiters.length === 0) return;
    for (const w of this.waiters) {
      this.timers.clearTimeout(w.timer);
      w.resolve(leader);
    }
    this.waiters = [];
  }

  cancelAll(): void {
    for (const w of this.waiters) {
      this.timers.clearTimeout(w.timer);
      w.resolve(0);
    }
    this.waiters = [];
  }
}
