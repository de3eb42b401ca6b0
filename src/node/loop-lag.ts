// The node's own event-loop pause probe: a timer due every few milliseconds notes how late it
// fires. Lateness is time the loop was held by other work (a long synchronous step) or the process
// was not scheduled at all (a loaded machine): either way requests waited that long. Read as
// /metrics gauges and counters, so a benchmark or an operator sees the longest pause over a window
// without asking the node itself to be responsive (a probe request would queue behind the pause).
import type { TimerHandle, Timers } from "./timers.ts";

/** How often the probe wants to run; a pause shorter than this cannot be told from the timer's own grain. */
export const LOOP_LAG_INTERVAL_MS = 5;
/** Pauses counted by threshold (ms), cumulative: the goal's bound (20 ms) and beyond. */
export const LOOP_LAG_THRESHOLDS_MS = [20, 100, 1000] as const;

export interface LoopLagOptions {
  intervalMs?: number;
  /** A monotonic clock in ms; default performance.now. */
  now?: () => number;
  /** Where the probe's timer comes from; default the host's. */
  timers?: Pick<Timers, "setTimeout" | "clearTimeout">;
}

export class LoopLagProbe {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly timers: Pick<Timers, "setTimeout" | "clearTimeout">;
  private timer: TimerHandle | null = null;
  private due = 0;
  /** The longest lateness since the last metrics() read (the gauge is reset on read). */
  private windowMax = 0;
  private peak = 0;
  private samples = 0;
  private readonly over = LOOP_LAG_THRESHOLDS_MS.map(() => 0);

  constructor(opts: LoopLagOptions = {}) {
    this.intervalMs = opts.intervalMs ?? LOOP_LAG_INTERVAL_MS;
    if (!Number.isFinite(this.intervalMs) || this.intervalMs <= 0) throw new RangeError(`loop lag interval must be a positive number of ms, got ${this.intervalMs}`);
    this.now = opts.now ?? (() => performance.now());
    this.timers = opts.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
      clearTimeout: (h) => clearTimeout(h as unknown as ReturnType<typeof setTimeout>),
    };
  }

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer !== null) return;
    this.arm();
  }

  stop(): void {
    if (this.timer === null) return;
    this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Gauges and counters for /metrics; reading them starts a new window for the `_max_ms` gauge. */
  metrics(): Record<string, number> {
    // A pause still going on (the probe's timer overdue now) counts too: metrics() runs after it.
    if (this.timer !== null) this.note(this.now() - this.due);
    const out: Record<string, number> = {
      yakt_event_loop_lag_max_ms: round(this.windowMax),
      yakt_event_loop_lag_peak_ms: round(this.peak),
      yakt_event_loop_lag_samples_total: this.samples,
    };
    LOOP_LAG_THRESHOLDS_MS.forEach((ms, i) => {
      out[`yakt_event_loop_pauses_over_${ms}ms_total`] = this.over[i];
    });
    this.windowMax = 0;
    return out;
  }

  private arm(): void {
    this.due = this.now() + this.intervalMs;
    this.timer = this.timers.setTimeout(() => this.fired(), this.intervalMs);
  }

  private fired(): void {
    if (this.timer === null) return;
    const late = this.now() - this.due;
    this.samples++;
    this.note(late);
    for (let i = 0; i < LOOP_LAG_THRESHOLDS_MS.length; i++) if (late > LOOP_LAG_THRESHOLDS_MS[i]) this.over[i]++;
    this.arm();
  }

  private note(late: number): void {
    if (late > this.windowMax) this.windowMax = late;
    if (late > this.peak) this.peak = late;
  }
}

const round = (ms: number) => Math.round(Math.max(0, ms) * 10) / 10;
