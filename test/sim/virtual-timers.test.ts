// The runtime's virtual timers: a pause holds what falls due and runs it in order at resume, a dead
// process runs nothing, the clock drifts and steps.
import { describe, expect, test } from "bun:test";
import { EventQueue } from "./event-queue.ts";
import { VirtualTimers } from "./virtual-timers.ts";

const runAll = (q: EventQueue) => {
  while (q.runNext(Number.MAX_SAFE_INTEGER) !== null);
};

describe("virtual timers", () => {
  test("timeouts fire on virtual time, scaled by the clock's rate; cleared ones never", () => {
    const q = new EventQueue(100);
    const t = new VirtualTimers(q, "n1", 1.25);
    const fired: string[] = [];
    t.setTimeout(() => fired.push(`a@${q.now()}`), 100);
    const b = t.setTimeout(() => fired.push("b"), 50);
    t.clearTimeout(b);
    runAll(q);
    expect(fired).toEqual(["a@80"]); // a clock 25 % fast counts 100 ms in 80 virtual ms
    expect(t.now()).toBe(100);
    t.jump(-40);
    expect(t.now()).toBe(60);
  });

  test("a paused process runs what fell due at resume, in order; a dead one runs nothing", () => {
    const q = new EventQueue(100);
    const t = new VirtualTimers(q, "n1", 1);
    const order: number[] = [];
    t.pause();
    t.setTimeout(() => order.push(2), 20);
    t.setTimeout(() => order.push(1), 10);
    t.defer(() => order.push(0));
    runAll(q);
    expect(order).toEqual([]);
    t.resume();
    expect(order).toEqual([0, 1, 2]);
    t.setTimeout(() => order.push(3), 5);
    t.kill();
    runAll(q);
    t.run(() => order.push(4));
    expect(order).toEqual([0, 1, 2]);
  });
});
