// The runtime's Timers on virtual time, one per life of a simulated node. Its clock runs at the
// node's own rate and may jump (drift and NTP steps); its timeouts fire on the event queue; a
// pause freezes the process — whatever falls due meanwhile runs, in order, at resume; a crash
// kills it, so a dead process's timers never fire.
import type { TimerHandle, Timers } from "../../src/node/timers.ts";
import type { EventQueue } from "./event-queue.ts";

interface VirtualTimer {
  cancelled: boolean;
}

export class VirtualTimers implements Timers {
  private dead = false;
  private paused = false;
  private held: (() => void)[] = [];
  /** Clock offset from virtual time (ms): the node's clock steps. */
  private offset = 0;

  constructor(
    private readonly queue: EventQueue,
    private readonly label: string,
    /** The node clock's rate against virtual time (1 = exact; 1.05 runs 5 % fast). */
    private readonly rate: number,
  ) {
    if (!(rate > 0.5 && rate < 2)) throw new RangeError(`clock rate must lie in (0.5, 2), got ${rate}`);
  }

  now(): number {
    return Math.floor(this.queue.now() * this.rate) + this.offset;
  }

  /** An NTP step: the clock reading jumps by `ms` (either way); timeouts are monotonic and unaffected. */
  jump(ms: number): void {
    this.offset += ms;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: VirtualTimer = { cancelled: false };
    const delay = Math.max(0, Math.ceil(Math.max(0, ms) / this.rate));
    this.queue.after(delay, `${this.label} timer`, () => {
      if (!t.cancelled) this.run(fn);
    });
    return t;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as VirtualTimer).cancelled = true;
  }

  defer(fn: () => void): void {
    this.queue.after(0, `${this.label} defer`, () => this.run(fn));
  }

  /** Run `fn` as this process: not when dead, later when paused. */
  run(fn: () => void): void {
    if (this.dead) return;
    if (this.paused) this.held.push(fn);
    else fn();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
  }

  /** The process runs again: everything that fell due while it was frozen runs now, in order. */
  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const fn of held) this.run(fn);
  }

  kill(): void {
    this.dead = true;
    this.held = [];
  }

  get alive(): boolean {
    return !this.dead;
  }
}
