// Plain broker heartbeats a follower passes on to the leader, sent together. Coalescing
// (heartbeat-coalescer.ts) leaves about one heartbeat per broker per window, which for a fleet of
// 1,000 brokers is still a thousand forwards a second, each a message, a decode, a check and a
// reply on the leader's event loop. Heartbeats that arrive while the loop turns once are sent as
// one forward instead; each broker's poll still gets its own outcome (its offset, or its error).
import { invariant } from "./invariant.ts";

/** Brokers in one forward: far more than one loop turn brings, and a reply far under MAX_FORWARD_BYTES. */
export const MAX_HEARTBEAT_BATCH = 1_000;

/** A broker's outcome in a batch: the index of the status change its heartbeat caused (0: none), or why it failed. */
export type HeartbeatOutcome = number | Error;

interface Waiter {
  resolve: (offset: number) => void;
  reject: (error: Error) => void;
}

export class HeartbeatBatch {
  private pending = new Map<number, Waiter[]>();
  private scheduled = false;

  constructor(
    /** Sends one batch to the leader; rejects when the batch as a whole failed (no leader, say). */
    private readonly send: (brokerIds: number[]) => Promise<Map<number, HeartbeatOutcome>>,
    /** Runs its argument once the loop has turned (setImmediate). */
    private readonly defer: (fn: () => void) => void,
  ) {}

  /** Brokers waiting to be sent. */
  get size(): number {
    return this.pending.size;
  }

  /** This broker's heartbeat, sent with the others of this loop turn; resolves with its offset. */
  heartbeat(brokerId: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const waiters = this.pending.get(brokerId);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(brokerId, [{ resolve, reject }]);
      if (this.pending.size >= MAX_HEARTBEAT_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        this.defer(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    invariant(batch.size <= MAX_HEARTBEAT_BATCH, () => `a heartbeat batch of ${batch.size} brokers, bound ${MAX_HEARTBEAT_BATCH}`);
    this.send([...batch.keys()]).then(
      (outcomes) => {
        for (const [brokerId, waiters] of batch) {
          const outcome = outcomes.get(brokerId) ?? new Error(`the leader's heartbeat reply left out broker ${brokerId}`);
          for (const w of waiters) typeof outcome === "number" ? w.resolve(outcome) : w.reject(outcome);
        }
      },
      (error: unknown) => {
        const failed = error instanceof Error ? error : new Error(String(error));
        for (const waiters of batch.values()) for (const w of waiters) w.reject(failed);
      },
    );
  }
}
