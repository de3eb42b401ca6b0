// One linearizable read barrier for every metadata fetch that arrives in the same turn of the
// event loop. A commit wakes a whole fleet of long polls and their re-polls arrive together, each
// needing a barrier before it answers or parks; the consensus side batches their rounds already,
// but each caller still cost it a waiter, a timer and a promise of its own. Here the first fetch
// of a turn opens a barrier and the rest of that turn join it; the barrier itself is asked for
// only once the loop has turned, after every fetch that joined it arrived, so each joiner's read
// is ordered after its own arrival exactly as a barrier of its own would be (linearizable).
// Bounded: fetches waiting on barriers (open or asked) are at most maxWaiting; one more is refused
// as the consensus side refuses a read past its bound.
import { invariant } from "./invariant.ts";
import { OverloadedError } from "../node/errors.ts";

/** Fetches waiting on read barriers at once (as many as long polls may wait: long-polls.ts). */
export const MAX_BARRIER_WAITERS = 16_384;

export class SharedBarrier {
  /** The barrier the fetches of this turn join, until it is asked for; null when none is open. */
  private open: Promise<void> | null = null;
  /** Fetches waiting on the open barrier or on one asked for and not yet settled. */
  private waiting = 0;
  /** Barriers asked of consensus, and fetches served by them (joins / asks is the sharing). */
  asks = 0;
  joins = 0;

  constructor(
    /** The consensus read barrier (ConsensusHandle.readBarrier). */
    private readonly barrier: () => Promise<void>,
    /** Runs its argument once the event loop has turned (setImmediate). */
    private readonly defer: (fn: () => void) => void,
    private readonly maxWaiting = MAX_BARRIER_WAITERS,
  ) {
    invariant(Number.isSafeInteger(maxWaiting) && maxWaiting > 0, () => `bad bound on read barrier waiters ${maxWaiting}`);
  }

  /** Fetches waiting on a barrier now. */
  get size(): number {
    return this.waiting;
  }

  /** Resolves once a read barrier asked for after this call has passed; rejects with its error. */
  wait(): Promise<void> {
    if (this.waiting >= this.maxWaiting) return Promise.reject(new OverloadedError(`too many fetches waiting for a read barrier (${this.waiting}, bound ${this.maxWaiting}); retry`));
    this.joins++;
    this.waiting++;
    const open = this.open ?? this.opened();
    const settled = () => {
      this.waiting--;
      invariant(this.waiting >= 0, () => `read barrier waiters went below zero (${this.waiting})`);
    };
    open.then(settled, settled);
    return open;
  }

  /** A new open barrier, asked for once the loop turns. */
  private opened(): Promise<void> {
    const opened = new Promise<void>((resolve, reject) => {
      this.defer(() => {
        invariant(this.open === opened, () => "a shared read barrier was asked for twice");
        // Fetches from here on need a barrier asked for after they arrived: a new one.
        this.open = null;
        this.asks++;
        let asked: Promise<void>;
        try {
          asked = this.barrier();
        } catch (error) {
          return reject(error);
        }
        asked.then(resolve, reject);
      });
    });
    this.open = opened;
    return opened;
  }
}
