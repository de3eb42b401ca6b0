// Virtual time and the event queue: events run in (time, insertion order), so two events at the
// same virtual instant always run in the order they were scheduled and a seed replays exactly.

export interface SimEvent {
  time: number;
  seq: number;
  run: () => void;
  label: string;
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private seq = 0;
  private clock = 0;

  constructor(private readonly maxPending: number) {}

  now(): number {
    return this.clock;
  }

  size(): number {
    return this.heap.length;
  }

  /** Schedule `run` after `delay` virtual ms. The bound catches a runaway feedback loop early. */
  after(delay: number, label: string, run: () => void): void {
    if (!(delay >= 0 && Number.isFinite(delay))) throw new RangeError(`event delay must be finite and >= 0, got ${delay}`);
    if (this.heap.length >= this.maxPending) {
      throw new RangeError(`event queue is full (${this.maxPending} pending) while scheduling ${label}`);
    }
    this.push({ time: this.clock + delay, seq: this.seq++, run, label });
  }

  /** Pop and run the earliest event; null when nothing is scheduled at or before `until`. */
  runNext(until: number): SimEvent | null {
    const top = this.heap[0];
    if (top === undefined || top.time > until) return null;
    this.pop();
    if (top.time < this.clock) throw new Error(`virtual time went backwards: ${top.time} < ${this.clock}`);
    this.clock = top.time;
    top.run();
    return top;
  }

  /** Move the clock forward to `t` when nothing is scheduled before it. */
  advanceTo(t: number): void {
    if (t > this.clock) this.clock = t;
  }

  private less(x: SimEvent, y: SimEvent): boolean {
    return x.time < y.time || (x.time === y.time && x.seq < y.seq);
  }

  private push(e: SimEvent): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
