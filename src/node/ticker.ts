// The runtime's only source of time for the Raft core: a ticker calls back once per logical tick.
// Production uses a real interval; tests may drive ticks by hand.

export interface Ticker {
  readonly intervalMs: number;
  start(onTick: () => void): void;
  stop(): void;
}

export class IntervalTicker implements Ticker {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(readonly intervalMs: number) {
    if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > 60_000) {
      throw new RangeError(`tick interval must be an integer in [1, 60000] ms, got ${intervalMs}`);
    }
  }

  start(onTick: () => void): void {
    if (this.timer !== null) throw new Error("ticker already started");
    this.timer = setInterval(onTick, this.intervalMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
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
