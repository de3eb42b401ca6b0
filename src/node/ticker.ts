// The runtime's only source of time for the Raft core: a ticker calls back once per logical tick.
// Production uses a real interval that keeps the ticks to wall time (the ticks a late callback
// missed are delivered at the next one, within a bound and only while the runtime allows it);
// tests may drive ticks by hand.

/** How the ticks a late callback missed may be delivered (IntervalTicker). */
export interface CatchUp {
  /**
   * Asked at the next callback before each missed tick, told how many this callback has delivered
   * already: may one more be delivered now? (raft-runtime.ts)
   */
  allowed(deliveredThisCallback: number): boolean;
  /** At most this many ticks for one callback's span of time, its own included; the rest is dropped. */
  maxTicks: number;
}

export interface Ticker {
  readonly intervalMs: number;
  /** Without `catchUp`, exactly one tick per callback however late it comes. */
  start(onTick: () => void, catchUp?: CatchUp): void;
  stop(): void;
}

/** The wall clock and the interval timer an IntervalTicker runs on; injected in tests. */
export interface TickerClock {
  now(): number;
  every(ms: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

export const realTickerClock: TickerClock = {
  now: () => performance.now(),
  every: (ms, fn) => setInterval(fn, ms),
  cancel: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/**
 * A plain setInterval runs late on a busy loop (garbage collection, a long apply, a starved CPU):
 * ten ticks of 10 ms can take 150 ms of wall time, so a follower counting the leader's lease in
 * ticks still holds a dead leader's lease when the other survivor asks for pre-votes, and that
 * survivor loses a whole randomized timeout. So each callback accounts for the wall time since
 * the ticks already accounted: it ticks once (a callback is a tick, as it always was) and carries
 * the ticks it missed — at most `catchUp.maxTicks - 1` — to the next callback, which delivers them
 * before its own tick while `catchUp.allowed()`. Not at once: the messages that waited in the
 * sockets during the pause (a live leader's heartbeats) are read between two callbacks, and the
 * runtime refuses the carried ticks if they came. Time beyond the bound, or refused, is dropped
 * rather than owed.
 */
export class IntervalTicker implements Ticker {
  private timer: unknown = null;
  /** The wall time the ticks delivered or carried so far account for; never ahead of the clock. */
  private accounted = 0;
  /** Ticks the last callback missed, offered at the next one. */
  private carried = 0;

  constructor(
    readonly intervalMs: number,
    private readonly clock: TickerClock = realTickerClock,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > 60_000) {
      throw new RangeError(`tick interval must be an integer in [1, 60000] ms, got ${intervalMs}`);
    }
  }

  start(onTick: () => void, catchUp?: CatchUp): void {
    if (this.timer !== null) throw new Error("ticker already started");
    if (catchUp !== undefined && (!Number.isInteger(catchUp.maxTicks) || catchUp.maxTicks < 1)) {
      throw new RangeError(`catch-up bound must be an integer ≥ 1 tick, got ${catchUp.maxTicks}`);
    }
    this.accounted = this.clock.now();
    this.carried = 0;
    this.timer = this.clock.every(this.intervalMs, () => this.fire(onTick, catchUp));
  }

  stop(): void {
    if (this.timer !== null) this.clock.cancel(this.timer);
    this.timer = null;
  }

  private fire(onTick: () => void, catchUp: CatchUp | undefined): void {
    const now = this.clock.now();
    if (now < this.accounted) throw new Error(`ticker clock went back from ${this.accounted} to ${now}`);
    for (let n = 0; n < this.carried && this.timer !== null && catchUp!.allowed(n); n++) onTick();
    this.carried = 0;
    if (this.timer === null) return;
    onTick();
    const owed = Math.max(1, Math.floor((now - this.accounted) / this.intervalMs));
    this.carried = Math.min(owed - 1, (catchUp?.maxTicks ?? 1) - 1);
    // All owed delivered or carried: keep the fraction of an interval left over, so ticks follow
    // wall time exactly over many callbacks; otherwise forgive the rest.
    this.accounted = this.carried === owed - 1 ? Math.min(now, this.accounted + owed * this.intervalMs) : now;
  }
}

/** Ticks only when told to: deterministic tests of the runtime. */
export class ManualTicker implements Ticker {
  private onTick: (() => void) | null = null;

  constructor(readonly intervalMs = 10) {}

  start(onTick: () => void): void {
    this.onTick = onTick;
  }

  stop(): void {
    this.onTick = null;
  }

  tick(times = 1): void {
    for (let i = 0; i < times && this.onTick; i++) this.onTick();
  }
}
