import { expect, test } from "bun:test";
import { EventQueue } from "./event-queue.ts";

test("events run in time order, ties in scheduling order", () => {
  const q = new EventQueue(100);
  const order: string[] = [];
  q.after(5, "a", () => order.push("a"));
  q.after(1, "b", () => order.push("b"));
  q.after(5, "c", () => order.push("c"));
  q.after(0, "d", () => q.after(1, "e", () => order.push("e")));
  while (q.runNext(Infinity) !== null);
  expect(order).toEqual(["b", "e", "a", "c"]);
  expect(q.now()).toBe(5);
});

test("runNext stops at the horizon", () => {
  const q = new EventQueue(100);
  q.after(10, "late", () => {});
  expect(q.runNext(9)).toBeNull();
  expect(q.now()).toBe(0);
  expect(q.runNext(10)?.label).toBe("late");
});

test("bounded and refuses bad delays", () => {
  const q = new EventQueue(2);
  q.after(1, "x", () => {});
  q.after(1, "y", () => {});
  expect(() => q.after(1, "z", () => {})).toThrow("2 pending");
  expect(() => q.after(-1, "neg", () => {})).toThrow("-1");
  expect(() => q.after(NaN, "nan", () => {})).toThrow("NaN");
});
