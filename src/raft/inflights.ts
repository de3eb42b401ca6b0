// The window of App messages in flight to one follower in replicate state, each remembered by the
// last entry index it carried and the bytes of its entries. Bounded twice, as etcd-raft's
// Inflights: by count (config.maxInflight) and by bytes (config.maxInflightBytes). A full window
// pauses sending, so what a leader has out to a follower that does not answer stays bounded
// however far behind it falls.
import { invariant } from "./errors.ts";

interface Inflight {
  lastIndex: number;
  bytes: number;
}

export class Inflights {
  private readonly items: Inflight[] = [];
  /** Sum of items[].bytes. Invariant: 0 <= totalBytes; 0 when empty. */
  private totalBytes = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes: number,
  ) {
    invariant(Number.isInteger(capacity), () => `inflight capacity must be an integer, got ${capacity}`);
    invariant(capacity >= 1, () => `inflight capacity must be ≥ 1, got ${capacity}`);
    invariant(Number.isInteger(maxBytes), () => `inflight byte bound must be an integer, got ${maxBytes}`);
    invariant(maxBytes >= 1, () => `inflight byte bound must be ≥ 1, got ${maxBytes}`);
  }

  /**
   * One more App carrying entries up to `lastIndex`, `bytes` in all. It may take the window past
   * maxBytes by this one App (as in etcd): an entry larger than the budget must still be sendable.
   */
  add(lastIndex: number, bytes: number): void {
    invariant(!this.full(), () => `inflight window (${this.items.length} Apps, ${this.totalBytes} bytes) is full, cannot add ${lastIndex}`);
    invariant(Number.isInteger(bytes) && bytes >= 0, () => `inflight bytes must be a non-negative integer, got ${bytes}`);
    const prev = this.items[this.items.length - 1];
    invariant(prev === undefined || lastIndex > prev.lastIndex, () => `inflight index ${lastIndex} not above ${prev?.lastIndex}`);
    this.items.push({ lastIndex, bytes });
    this.totalBytes += bytes;
  }

  /** Acknowledged up to `index`: everything at or below it has arrived. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.items.length && this.items[n].lastIndex <= index) this.totalBytes -= this.items[n++].bytes;
    if (n > 0) this.items.splice(0, n);
    this.check();
  }

  /** Make room for one more (a heartbeat answer proves the follower is alive). */
  freeFirstOne(): void {
    const first = this.items.shift();
    if (first !== undefined) this.totalBytes -= first.bytes;
    this.check();
  }

  full(): boolean {
    return this.items.length >= this.capacity || this.totalBytes >= this.maxBytes;
  }

  size(): number {
    return this.items.length;
  }

  bytes(): number {
    return this.totalBytes;
  }

  reset(): void {
    this.items.length = 0;
    this.totalBytes = 0;
  }

  private check(): void {
    invariant(this.totalBytes >= 0, () => `inflight bytes went negative: ${this.totalBytes}`);
    invariant(this.items.length > 0 || this.totalBytes === 0, () => `empty inflight window holds ${this.totalBytes} bytes`);
  }
}
