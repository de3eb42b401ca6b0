// The run's trace: a bounded ring of the latest lines for failure reports, or every line to a sink
// when replaying one seed verbosely. Lines are formatted only when someone reads them.

export class Trace {
  private readonly ring: { time: number; text: string }[] = [];
  private head = 0;

  constructor(
    private readonly capacity: number,
    private readonly clock: () => number,
    private readonly sink: ((line: string) => void) | null,
  ) {
    if (!(capacity > 0)) throw new RangeError(`trace capacity must be positive, got ${capacity}`);
  }

  add(text: string): void {
    const item = { time: this.clock(), text };
    if (this.sink !== null) this.sink(format(item));
    if (this.ring.length < this.capacity) this.ring.push(item);
    else {
      this.ring[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  tail(): string[] {
    return [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)].map(format);
  }
}

function format(item: { time: number; text: string }): string {
  return `t=${item.time} ${item.text}`;
}
