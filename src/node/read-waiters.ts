// Linearizable read barriers. Callers share readIndex rounds (one context number each): while a
// round is out, new callers gather in the open batch, which becomes the next round once the one
// out is answered, so a busy node sends one round per round trip whatever its read rate (every
// round is a heartbeat broadcast by the leader and, on a follower, a ReadIndex message there and
// back). A round unanswered for ROUND_PATIENCE_MS (a lost message: the core fails it only after
// its expiry ticks) no longer holds the next one back. When the core answers with a ReadState, the
// batch waits until the state machine has applied the read index. A failed round (no leader,
// leadership lost) is retried once, then the callers get NoLeaderError. Every caller has its own
// deadline, kept by one sweep timer rather than a host timer each (a setTimeout and a clearTimeout
// per read, about 0.2 µs); it is told in sweeps, so a wall clock that jumps moves no deadline.
// Linearizability does not depend on the batching: a caller only ever joins a round that is taken
// after it arrived.
import type { ReadState } from "../raft/types.ts";
import { ConsensusTimeoutError, NoLeaderError } from "./contracts.ts";
import { OverloadedError, invariant } from "./errors.ts";
import { realTimers, type TimerHandle, type Timers } from "./timers.ts";

/** A caller may sit in this many rounds: the first try plus one retry. */
const MAX_ATTEMPTS = 2;

/** Sweeps per read timeout: a caller gives up between the timeout and a slice of it more. */
export const DEADLINE_SLICES = 8;

interface Caller {
  resolve: () => void;
  reject: (error: Error) => void;
  /** The sweep count when it arrived: its deadline, told in sweeps. */
  sweep: number;
  attempts: number;
  done: boolean;
}

interface ReadyBatch {
  index: number;
  callers: Caller[];
}

/**
 * How long a round may be out before the open batch is sent as a round of its own anyway: two
 * heartbeat intervals at the default 10-ms tick, well above a healthy round trip on loopback.
 */
export const ROUND_PATIENCE_MS = 40;

/** Contexts travel as u53; a life starts at most here and has 2^52 rounds before reaching the limit. */
export const MAX_FIRST_CONTEXT = 2 ** 52;

/**
 * Where a process life starts counting its read rounds: drawn at random, so that a ReadIndexResp
 * answering the previous life's round (sent before a crash, delivered after the restart) names a
 * context this life has not used (sim seed 12311: a restarted follower took such an answer for its
 * own round and served a read from before a write that had completed).
 */
export function drawFirstReadContext(random: () => number): number {
  return 1 + Math.floor(random() * (MAX_FIRST_CONTEXT - 1));
}

export class ReadWaiters {
  private open: Caller[] = [];
  private readonly inflight = new Map<number, Caller[]>();
  private waitingApply: ReadyBatch[] = [];
  private nextCtx: number;
  private pending = 0;
  /** When the newest round in flight was taken (timers.now()). */
  private newestRoundAt = 0;
  /** The callers of the last sweep still waiting, and those come since, in arrival order. */
  private waiting: Caller[] = [];
  private sweeps = 0;
  private sweeper: TimerHandle | null = null;
  /** Sweep period: a caller expires at the first sweep at least timeoutMs after it arrived. */
  private readonly sliceMs: number;
  /** Sweeps after its arrival's at which a caller expires (the first slice may be nearly over). */
  private readonly expirySweeps: number;

  /**
   * `firstContext` should differ per process life (drawFirstReadContext): an answer to the previous
   * life's round can still arrive, and it must not be taken for a round of this one.
   */
  constructor(
    private readonly maxPending: number,
    private readonly timeoutMs: number,
    private readonly timers: Timers = realTimers,
    firstContext = 1,
  ) {
    invariant(maxPending > 0 && timeoutMs > 0, () => `bad read bounds: max ${maxPending}, timeout ${timeoutMs} ms`);
    invariant(Number.isSafeInteger(firstContext) && firstContext >= 1 && firstContext <= MAX_FIRST_CONTEXT, () => `bad first read context ${firstContext}`);
    this.nextCtx = firstContext;
    this.sliceMs = Math.max(1, Math.ceil(timeoutMs / DEADLINE_SLICES));
    this.expirySweeps = Math.ceil(timeoutMs / this.sliceMs) + 1;
  }

  get size(): number {
    return this.pending;
  }

  get hasOpen(): boolean {
    return this.open.length > 0;
  }

  /** Callers wait and takeOpenBatch would make them a round now (no round out, or a stale one). */
  get roundDue(): boolean {
    return this.open.length > 0 && !this.roundOutAndFresh();
  }

  enqueue(): Promise<void> {
    if (this.pending >= this.maxPending) {
      return Promise.reject(new OverloadedError(`too many reads waiting (${this.pending}, bound ${this.maxPending}); retry`));
    }
    return new Promise<void>((resolve, reject) => {
      const caller: Caller = { resolve, reject, attempts: 0, done: false, sweep: this.sweeps };
      this.pending++;
      this.open.push(caller);
      this.waiting.push(caller);
      if (this.sweeper === null) this.sweeper = this.timers.setTimeout(() => this.sweep(), this.sliceMs);
    });
  }

  /**
   * Close the open batch and give it a context for raft.readIndex; null when nobody waits, or
   * while a round taken less than ROUND_PATIENCE_MS ago is still out (the batch keeps gathering).
   */
  takeOpenBatch(): number | null {
    this.forgetAbandonedRounds();
    if (this.roundOutAndFresh()) return null;
    const live = this.open.filter((c) => !c.done);
    this.open = [];
    if (live.length === 0) return null;
    const ctx = this.nextCtx++;
    invariant(Number.isSafeInteger(ctx), () => `read context ${ctx} ran past the u53 range`);
    for (const c of live) c.attempts++;
    this.inflight.set(ctx, live);
    this.newestRoundAt = this.timers.now();
    return ctx;
  }

  private roundOutAndFresh(): boolean {
    return this.inflight.size > 0 && this.timers.now() - this.newestRoundAt < ROUND_PATIENCE_MS;
  }

  /** The core answered a round. Unknown contexts (e.g. from before a restart: drawFirstReadContext) are ignored. */
  settle(rs: ReadState, applied: number): void {
    const callers = this.inflight.get(rs.ctx);
    if (!callers) return;
    this.inflight.delete(rs.ctx);
    if (rs.ok) {
      this.waitingApply.push({ index: rs.index, callers });
      this.notify(applied);
      return;
    }
    for (const c of callers) {
      if (c.done) continue;
      if (c.attempts < MAX_ATTEMPTS) this.open.push(c);
      else this.finish(c, new NoLeaderError(`read index failed ${c.attempts} times: no leader confirmed this read`));
    }
  }

  notify(applied: number): void {
    if (this.waitingApply.length === 0) return;
    const still: ReadyBatch[] = [];
    for (const batch of this.waitingApply) {
      if (batch.index > applied) {
        still.push(batch);
        continue;
      }
      for (const c of batch.callers) this.finish(c, null);
    }
    this.waitingApply = still;
  }

  rejectAll(error: Error): void {
    for (const c of this.open) this.finish(c, error);
    for (const callers of this.inflight.values()) for (const c of callers) this.finish(c, error);
    for (const batch of this.waitingApply) for (const c of batch.callers) this.finish(c, error);
    this.open = [];
    this.inflight.clear();
    this.waitingApply = [];
    this.waiting = [];
    if (this.sweeper !== null) this.timers.clearTimeout(this.sweeper);
    this.sweeper = null;
  }

  /** Rounds whose callers all timed out: the core may never answer them, so do not keep them. */
  private forgetAbandonedRounds(): void {
    if (this.inflight.size === 0) return;
    for (const [ctx, callers] of this.inflight) {
      if (callers.every((c) => c.done)) this.inflight.delete(ctx);
    }
  }

  get roundsInFlight(): number {
    return this.inflight.size;
  }

  /** Expires the callers whose deadline passed and forgets the finished ones; again while any wait. */
  private sweep(): void {
    this.sweeper = null;
    this.sweeps++;
    const still: Caller[] = [];
    for (const c of this.waiting) {
      if (c.done) continue;
      if (this.sweeps - c.sweep >= this.expirySweeps) this.expire(c);
      else still.push(c);
    }
    this.waiting = still;
    invariant(still.length === this.pending, () => `read waiters lost count: ${still.length} waiting, ${this.pending} pending`);
    if (still.length > 0) this.sweeper = this.timers.setTimeout(() => this.sweep(), this.sliceMs);
  }

  private expire(caller: Caller): void {
    this.finish(caller, new ConsensusTimeoutError(`read barrier not confirmed within ${this.timeoutMs} ms`));
  }

  private finish(caller: Caller, error: Error | null): void {
    if (caller.done) return;
    caller.done = true;
    this.pending--;
    if (error) caller.reject(error);
    else caller.resolve();
  }
}
