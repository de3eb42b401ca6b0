// A bottom-up merge sort that runs in bounded steps, so sorting a large snapshot capture never holds
// the node's loop for long: each step moves at most `budget` elements, and the state between steps
// is just a few cursors. Stable; O(n log n) moves in total.
import { invariant } from "./invariant.ts";

export class IncrementalSort<T> {
  private src: T[];
  private dst: T[];
  private width = 1;
  private lo = 0;
  private mid = 0;
  private hi = 0;
  private i = 0;
  private j = 0;
  private k = 0;
  private finished: boolean;

  /** Takes ownership of `items` (it is used as scratch space). */
  constructor(
    items: T[],
    private readonly compare: (a: T, b: T) => number,
  ) {
    this.src = items;
    this.dst = new Array<T>(items.length);
    this.finished = items.length <= 1;
    this.startPair(0);
  }

  get done(): boolean {
    return this.finished;
  }

  /** The sorted items; only once done. */
  result(): T[] {
    invariant(this.finished, () => `sorted result asked for after ${this.width}-wide runs of ${this.src.length} items`);
    return this.src;
  }

  /** Moves at most `budget` elements; returns how many it moved. */
  step(budget: number): number {
    invariant(Number.isSafeInteger(budget) && budget >= 1, () => `sort step budget must be a positive integer, got ${budget}`);
    let work = 0;
    while (work < budget && !this.finished) {
      if (this.k === this.hi) {
        this.nextPair();
        continue;
      }
      const takeLeft = this.i < this.mid && (this.j >= this.hi || this.compare(this.src[this.i], this.src[this.j]) <= 0);
      this.dst[this.k++] = takeLeft ? this.src[this.i++] : this.src[this.j++];
      work++;
    }
    return work;
  }

  private nextPair(): void {
    if (this.hi < this.src.length) {
      this.startPair(this.hi);
      return;
    }
    // A pass is over: runs of 2·width are sorted in dst.
    [this.src, this.dst] = [this.dst, this.src];
    this.width *= 2;
    if (this.width >= this.src.length) {
      this.finished = true;
      return;
    }
    this.startPair(0);
  }

  private startPair(lo: number): void {
    const n = this.src.length;
    this.lo = lo;
    this.mid = Math.min(lo + this.width, n);
    this.hi = Math.min(lo + 2 * this.width, n);
    this.i = lo;
    this.j = this.mid;
    this.k = lo;
  }
}
