import { describe, expect, test } from "bun:test";
import { type ByteSink, OutputQueue } from "../../src/admin/output-queue.ts";

/** A socket that takes at most `room` bytes until the test makes more room. */
class TightSink implements ByteSink {
  received: number[] = [];
  closed = false;
  constructor(public room: number) {}
  write(data: Uint8Array): number {
    if (this.closed) return -1;
    const n = Math.min(this.room, data.length);
    this.received.push(...data.subarray(0, n));
    this.room -= n;
    return n;
  }
}

const bytes = (n: number, start = 0) => Uint8Array.from({ length: n }, (_, i) => (start + i) % 256);

describe("OutputQueue", () => {
  test("writes straight through while the socket takes everything", () => {
    const sink = new TightSink(100);
    const q = new OutputQueue(sink, 10);
    expect(q.send(bytes(50))).toBe("sent");
    expect(q.pendingBytes).toBe(0);
  });

  test("keeps what a partial write left and sends it, in order, on drain", () => {
    const sink = new TightSink(3);
    const q = new OutputQueue(sink, 100);
    expect(q.send(bytes(5, 0))).toBe("queued");
    expect(q.send(bytes(4, 5))).toBe("queued");
    expect(q.pendingBytes).toBe(6);
    sink.room = 4;
    q.drain();
    expect(q.pendingBytes).toBe(2);
    sink.room = 100;
    q.drain();
    expect(q.pendingBytes).toBe(0);
    expect(sink.received).toEqual([...bytes(9)]);
  });

  test("later output waits behind queued output even when the socket has room again", () => {
    const sink = new TightSink(1);
    const q = new OutputQueue(sink, 100);
    q.send(bytes(3, 0));
    sink.room = 100;
    expect(q.send(bytes(2, 3))).toBe("queued");
    q.drain();
    expect(sink.received).toEqual([...bytes(5)]);
  });

  test("past the cap it reports overflow and keeps nothing of that output", () => {
    const sink = new TightSink(0);
    const q = new OutputQueue(sink, 8);
    expect(q.send(bytes(6))).toBe("queued");
    expect(q.send(bytes(3))).toBe("overflow");
    expect(q.pendingBytes).toBe(6);
  });

  test("a closed socket is reported", () => {
    const sink = new TightSink(10);
    sink.closed = true;
    expect(new OutputQueue(sink, 8).send(bytes(1))).toBe("closed");
  });

  test("rejects a cap that is not a positive integer", () => {
    expect(() => new OutputQueue(new TightSink(1), 0)).toThrow("maxQueuedBytes must be a positive integer, got 0");
  });
});
