// The per-connection write queue: its byte bound, partial writes, a closed socket, and that it
// frees a large frame once the socket took all of it (never one it has only written in part).
import { describe, expect, test } from "bun:test";
import { FREE_AT_BYTES, isFreed } from "../../src/transport/owned-bytes.ts";
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

  test("a large frame is freed once the socket took it whole; one taken in part keeps its remainder until then", () => {
    const q = new WriteQueue(1 << 20);
    const a = bytes(0, FREE_AT_BYTES + 40_000);
    const b = bytes(a.length, FREE_AT_BYTES + 10_000);
    q.enqueue(a);
    q.enqueue(b);
    const socket = new CopyingSocket(FREE_AT_BYTES);
    expect(q.flush(socket)).toBe(FREE_AT_BYTES);
    // The socket kept none of what it did not take: the rest of `a` must still be readable here.
    expect(isFreed(a)).toBe(false);
    expect(a).toEqual(bytes(0, a.length));
    let rounds = 0;
    while (q.bytes > 0 && rounds++ < 10) q.flush(socket);
    expect(isFreed(a)).toBe(true);
    expect(isFreed(b)).toBe(true);
    expect(socket.taken()).toEqual(bytes(0, 2 * FREE_AT_BYTES + 50_000));
  });

  test("clear frees every large frame, a partly written one too; small ones are left to the collector", () => {
    const q = new WriteQueue(1 << 20);
    const big = bytes(0, FREE_AT_BYTES * 2);
    const small = bytes(0, 100);
    q.enqueue(big);
    q.enqueue(small);
    q.flush(new CopyingSocket(10));
    q.clear();
    expect(isFreed(big)).toBe(true);
    expect(isFreed(small)).toBe(false);
    expect(q.bytes).toBe(0);
  });
});

/** A socket that copies at most `budget` bytes per write call, as Bun's does (it keeps no reference). */
class CopyingSocket implements Writable {
  private readonly parts: Uint8Array[] = [];
  constructor(private readonly budget: number) {}
  write(data: Uint8Array): number {
    const n = Math.min(this.budget, data.length);
    this.parts.push(data.slice(0, n));
    return n;
  }
  taken(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
