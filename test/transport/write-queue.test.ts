// The per-connection write queue: its byte bound, partial writes, and a closed socket.
import { describe, expect, test } from "bun:test";
import { WriteQueue } from "../../src/transport/write-queue.ts";
import type { Writable } from "../../src/transport/write-queue.ts";

/** A socket that takes at most `budget` bytes per write call, recording what it got. */
class ThrottledSocket implements Writable {
  readonly got: number[] = [];
  constructor(public budget: number) {}
  write(data: Uint8Array): number {
    const n = Math.min(this.budget, data.length);
    this.got.push(...data.subarray(0, n));
    return n;
  }
}

const bytes = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) % 256);

describe("write queue", () => {
  test("refuses a frame that would pass the byte bound, and keeps what it had", () => {
    const q = new WriteQueue(10);
    expect(q.enqueue(bytes(0, 6))).toBe(true);
    expect(q.enqueue(bytes(6, 5))).toBe(false);
    expect(q.enqueue(bytes(6, 4))).toBe(true);
    expect(q.bytes).toBe(10);
  });

  test("partial writes resume where they stopped, in order, until drained", () => {
    const q = new WriteQueue(1000);
    q.enqueue(bytes(0, 7));
    q.enqueue(bytes(7, 5));
    q.enqueue(bytes(12, 9));
    const socket = new ThrottledSocket(4);
    let rounds = 0;
    while (q.bytes > 0 && rounds < 100) {
      const before = q.bytes;
      expect(q.flush(socket)).toBe(Math.min(4, before));
      rounds += 1;
    }
    expect(socket.got).toEqual([...bytes(0, 21)]);
    expect(q.bytes).toBe(0);
  });

  test("a socket that takes nothing leaves the queue as it was", () => {
    const q = new WriteQueue(100);
    q.enqueue(bytes(0, 10));
    expect(q.flush(new ThrottledSocket(0))).toBe(0);
    expect(q.bytes).toBe(10);
  });

  test("a closed socket (-1) is reported", () => {
    const q = new WriteQueue(100);
    q.enqueue(bytes(0, 10));
    expect(q.flush({ write: () => -1 })).toBe(-1);
  });

  test("clear empties the queue", () => {
    const q = new WriteQueue(100);
    q.enqueue(bytes(0, 10));
    q.clear();
    expect(q.bytes).toBe(0);
    expect(q.flush(new ThrottledSocket(100))).toBe(0);
  });
});
