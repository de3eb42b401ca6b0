// Metadata fetches waiting (long poll, `wait_ms`) for a record after the offset they answered up
// to. A fleet of brokers keeps a thousand of them open, and one commit wakes them all, so:
// - no timer per poll: the deadlines are a heap, and a single clock timer is set for the earliest;
// - they wake on the state machine's changes only (an entry that is no record, a Raft no-op,
//   wakes nobody), every poll waiting before the applied offset at once;
// - woken polls are released RELEASE_SLICE per turn of the event loop: each builds and writes its
//   answer when released, and the Raft ticker and peer traffic run between slices. A slice holds a
//   node's whole share of a 1,000-broker fleet, so one commit answers them all in one pass: every
//   turn between slices also reads the re-polls of the brokers answered before, and the answers
//   still waiting (the change's propagation) would queue behind them. A woken poll's answer is
//   shared (shared-answers.ts, shared-bodies.ts): answering 1,000 woken polls in-process costs
//   about 2 ms, so a slice stays well under a tick; what costs is each broker's next poll.
import type { Clock, TimerId } from "./clock.ts";
import { invariant } from "./invariant.ts";
import { NoLeaderError } from "../node/contracts.ts";
import { OverloadedError } from "../node/errors.ts";

/** Polls released per loop turn. */
export const RELEASE_SLICE = 512;
/** Polls waiting at once on a node (the runtime bounds its other waits the same). */
export const MAX_LONG_POLLS = 16_384;

interface Poll {
  /** Wakes once a record after this offset is applied. */
  after: number;
  deadline: number;
  /** Index in the deadline heap; -1 once out of it. */
  slot: number;
  resolve: () => void;
}

export class LongPolls {
  /** Waiting polls, a binary min-heap on deadline. */
  private readonly heap: Poll[] = [];
  private releasing: Poll[] = [];
  private releaseScheduled = false;
  private timer: TimerId | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    /** Runs its argument once the event loop has turned (setImmediate). */
    private readonly defer: (fn: () => void) => void,
    private readonly maxPolls = MAX_LONG_POLLS,
  ) {
    invariant(Number.isSafeInteger(maxPolls) && maxPolls > 0, () => `bad bound on long polls ${maxPolls}`);
  }

  /** Polls waiting or being released. */
  get size(): number {
    return this.heap.length + this.releasing.length;
  }

  /** Resolves once notify() reports a record after `after`, or after `waitMs` (whichever first). */
  wait(after: number, waitMs: number): Promise<void> {
    if (waitMs <= 0) return Promise.resolve();
    // A fetch that found nothing new would otherwise wait again at once, without end.
    if (this.closed) return Promise.reject(new NoLeaderError("this node is stopping; ask another node"));
    if (this.size >= this.maxPolls) return Promise.reject(new OverloadedError(`too many long polls waiting (${this.size}, bound ${this.maxPolls}); retry`));
    return new Promise<void>((resolve) => {
      const poll: Poll = { after, deadline: this.clock.now() + waitMs, slot: this.heap.length, resolve };
      this.heap.push(poll);
      this.up(poll.slot);
      this.arm();
    });
  }

  /** The state machine applied records up to `applied`: every poll waiting before it wakes. */
  notify(applied: number): void {
    if (this.heap.length === 0) return; // every applied entry comes here, most with nobody polling
    const kept: Poll[] = [];
    for (const poll of this.heap) {
      if (poll.after < applied) {
        poll.slot = -1;
        this.releasing.push(poll);
      } else kept.push(poll);
    }
    if (kept.length === this.heap.length) return;
    // The rest are made a heap again in one pass (cheaper than removing the woken one by one).
    this.heap.length = 0;
    for (const poll of kept) {
      poll.slot = this.heap.length;
      this.heap.push(poll);
    }
    for (let slot = (this.heap.length >> 1) - 1; slot >= 0; slot--) this.down(slot);
    if (!this.releaseScheduled) this.releaseSlice();
  }

  /** Ends every wait at once, and refuses new ones (the service stops). */
  cancelAll(): void {
    this.closed = true;
    for (const poll of this.releasing.splice(0)) poll.resolve();
    for (const poll of this.heap.splice(0)) poll.resolve();
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private releaseSlice(): void {
    for (const poll of this.releasing.splice(0, RELEASE_SLICE)) poll.resolve();
    this.releaseScheduled = this.releasing.length > 0;
    if (this.releaseScheduled) this.defer(() => this.releaseSlice());
  }

  /** Sets the one timer for the earliest deadline, unless one is set for it already or earlier. */
  private arm(): void {
    const first = this.heap[0];
    if (first === undefined || first.deadline >= this.timerAt) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timerAt = first.deadline;
    this.timer = this.clock.setTimeout(() => this.expire(), Math.max(0, first.deadline - this.clock.now()));
  }

  /** Polls whose time is up answer (with nothing new); then the timer is set for the next. */
  private expire(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    while (this.heap.length > 0 && this.heap[0].deadline <= now) {
      const poll = this.heap[0];
      this.remove(poll);
      this.releasing.push(poll);
    }
    if (this.releasing.length > 0 && !this.releaseScheduled) this.releaseSlice();
    this.arm();
  }

  private remove(poll: Poll): void {
    const slot = poll.slot;
    invariant(this.heap[slot] === poll, () => `long poll at heap slot ${slot} is not where it says`);
    const last = this.heap.pop() as Poll;
    poll.slot = -1;
    if (last === poll) return;
    this.heap[slot] = last;
    last.slot = slot;
    this.down(slot);
    this.up(last.slot);
  }

  private up(slot: number): void {
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (this.heap[parent].deadline <= this.heap[slot].deadline) return;
      this.swap(slot, parent);
      slot = parent;
    }
  }

  private down(slot: number): void {
    for (;;) {
      const left = 2 * slot + 1;
      const right = left + 1;
      let least = slot;
      if (left < this.heap.length && this.heap[left].deadline < this.heap[least].deadline) least = left;
      if (right < this.heap.length && this.heap[right].deadline < this.heap[least].deadline) least = right;
      if (least === slot) return;
      this.swap(slot, least);
      slot = least;
    }
  }

  private swap(a: number, b: number): void {
    const pa = this.heap[a];
    const pb = this.heap[b];
    this.heap[a] = pb;
    this.heap[b] = pa;
    pa.slot = b;
    pb.slot = a;
  }
}
