// The window of App messages in flight to one follower in replicate state, each remembered by the
// last entry index it carried. Bounded by config.maxInflight: a full window pauses sending.
import { invariant } from "./errors.ts";

export class Inflights {
  private readonly indexes: number[] = [];

  constructor(readonly capacity: number) {
    invariant(Number.isInteger(capacity) && capacity >= 1, () => `inflight capacity must be ≥ 1, got ${capacity}`);
  }

  add(lastIndex: number): void {
    invariant(!this.full(), () => `inflight window of ${this.capacity} is full, cannot add ${lastIndex}`);
    const prev = this.indexes[this.indexes.length - 1];
    invariant(prev === undefined || lastIndex > prev, () => `inflight index ${lastIndex} not above ${prev}`);
    this.indexes.push(lastIndex);
  }

  /** Acknowledged up to `index`: everything at or below it has arrived. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.indexes.length && this.indexes[n] <= index) n++;
    if (n > 0) this.indexes.splice(0, n);
  }

  /** Make room for one more (a heartbeat answer proves the follower is alive). */
  freeFirstOne(): void {
    this.indexes.shift();
  }

  full(): boolean {
    return this.indexes.length >= this.capacity;
  }

  size(): number {
    return this.indexes.length;
  }

  reset(): void {
    this.indexes.length = 0;
  }
}
